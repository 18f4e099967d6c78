class Greeter:
    def __call__(self, name):
        return f"hello {name}"
