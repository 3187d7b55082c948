from django.urls import path

from accounts.scim import views

app_name = "scim"

urlpatterns = [
    path("ServiceProviderConfig", views.ServiceProviderConfigView.as_view(), name="service_provider_config"),
    path("ResourceTypes", views.ResourceTypesView.as_view(), name="resource_types"),
    path("Users", views.UsersView.as_view(), name="users"),
    path("Users/<str:scim_id>", views.UserView.as_view(), name="user"),
]
