"""subnetlab: find the sub-networks and mechanisms inside neural networks."""
