"""Speed measurements (benchmarks/README.md); run each as a module from the repository root."""
