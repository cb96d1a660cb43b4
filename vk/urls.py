from django.urls import path

from vk import views

app_name = "vk"

urlpatterns = [
    path("vk/callback/<int:community_id>/", views.callback, name="callback"),
]
