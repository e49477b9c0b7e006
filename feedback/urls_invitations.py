"""URLs for the invitations pages."""

urlpatterns: list = []
