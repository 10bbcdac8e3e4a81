"""The labelled programs as a cached PyTorch Geometric dataset, and its data loaders."""
