app_name = "treatments"
urlpatterns: list = []
