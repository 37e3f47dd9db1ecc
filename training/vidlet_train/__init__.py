"""Vidlet's training code: procedural world, video VAE, joint appearance-motion DiT, export."""
