"""2D keypoints of the painted person (BlazePose) mapped to the body keypoints."""
