from tortoise import migrations
from models.enums import SubscriptionStatus
from tortoise import fields
from migrations._integrity import DropFieldIndex, PostgresFillFactor

# A subscription's status is read with its row (by id, contract or product), never searched
# across accounts: its index only cost every status change (the grace expiry turns 100,000
# sources REPLACED) a new entry in it and in the table's four other indexes. Without it, and
# with room left on each page, that change is a HOT update: no index entry at all.


class Migration(migrations.Migration):
    dependencies = [('seatwise', '0003_outbox_account')]

    initial = False

    operations = [
        DropFieldIndex(
            model_name='ProductSubscription',
            name='status',
            field=fields.CharEnumField(description='ACTIVE: ACTIVE\nIN_GRACE: IN_GRACE\nREPLACED: REPLACED\nEXPIRED: EXPIRED', enum_type=SubscriptionStatus, max_length=20),
            index_name='idx_product_sub_status_552131',
        ),
        PostgresFillFactor(model_name='ProductSubscription', fill=90),
    ]
