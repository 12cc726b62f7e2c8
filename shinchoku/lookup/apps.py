from django.apps import AppConfig


class LookupConfig(AppConfig):
    name = "shinchoku.lookup"
    verbose_name = "進捗照会"

    def ready(self) -> None:
        # The cases app knows nothing of lookup: it announces merged imports, lookup listens.
        from shinchoku.cases.signals import import_merged
        from shinchoku.lookup.receivers import on_import_merged

        import_merged.connect(on_import_merged, dispatch_uid="lookup.notify_followers")
