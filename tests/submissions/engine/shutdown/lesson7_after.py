def triple(x):
    return 3 * x


class Echo:
    async def __call__(self, request):
        return "ok"
