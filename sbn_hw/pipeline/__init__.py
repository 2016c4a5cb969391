"""The stages of a build, each reading and writing one build directory."""
