print("keyscan")
