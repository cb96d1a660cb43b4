from django.urls import path

from webchat import views

app_name = "webchat"

urlpatterns = [
    path("webchat/<str:name>", views.asset, name="asset"),
    path("webchat/s/<str:key>/", views.window, name="window"),
    path("webchat/s/<str:key>/config", views.site_config, name="config"),
    path("webchat/s/<str:key>/visitor", views.visitor, name="visitor"),
    path("webchat/s/<str:key>/messages", views.messages, name="messages"),
    path("webchat/s/<str:key>/send", views.send, name="send"),
    path("webchat/s/<str:key>/press", views.press, name="press"),
    path("webchat/s/<str:key>/contact", views.contact, name="contact"),
]
