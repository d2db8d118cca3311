"""Every model on the "shop" database."""


class ShopRouter:
    def db_for_read(self, model, **hints):
        return "shop"

    db_for_write = db_for_read

    def allow_relation(self, first, second, **hints):
        return True

    def allow_migrate(self, db, app_label, **hints):
        return db == "shop"
