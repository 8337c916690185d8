"""subnetlab.data"""
