from django.urls import path

from accounts.scim import views

app_name = "scim"

urlpatterns = [
    path("", views.scim_root, name="root"),
]
