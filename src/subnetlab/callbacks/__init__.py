"""subnetlab.callbacks"""
