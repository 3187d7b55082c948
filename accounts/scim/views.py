def scim_root(request):
    raise NotImplementedError
