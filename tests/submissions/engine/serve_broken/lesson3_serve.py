class Greeter:
    def __init__(self):
        self.greeting = "hello" / 2  # fails in the replica: Serve itself says only that the deployment failed

    def __call__(self, name):
        return f"{self.greeting} {name}"
