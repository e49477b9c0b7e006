"""URLs for the cases pages."""

urlpatterns: list = []
