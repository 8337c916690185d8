"""subnetlab.models"""
