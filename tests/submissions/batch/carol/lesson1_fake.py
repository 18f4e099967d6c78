raise RuntimeError("crashed while importing")
