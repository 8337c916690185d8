"""subnetlab.methods"""
