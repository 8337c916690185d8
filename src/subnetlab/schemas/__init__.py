"""subnetlab.schemas"""
