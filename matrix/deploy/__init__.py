"""Deployment helpers that need no cluster: manifest validation for KubeRay on K3s."""
