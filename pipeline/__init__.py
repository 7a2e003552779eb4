"""GenZI pipeline: the method (views, inpainting, keypoints, lifting), free of Qt."""

__version__ = "0.1.0"
