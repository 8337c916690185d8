"""subnetlab.cli"""
