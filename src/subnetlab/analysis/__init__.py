"""subnetlab.analysis"""
