from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise.fields.base import OnDelete
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('seatwise', '0002_suites_plan_moves_cancelled')]

    initial = False

    operations = [
        ops.AddField(
            model_name='OutboxMessage',
            name='account',
            field=fields.ForeignKeyField('seatwise.Account', source_field='account_id', null=True, db_constraint=True, to_field='id', related_name='outbox_messages', on_delete=OnDelete.CASCADE),
        ),
        ops.AddField(
            model_name='OutboxMessage',
            name='failed_at',
            field=fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
        ),
        # Rows that failed before the column existed: the last attempt was due at
        # available_at, the closest moment known.
        ops.RunSQL(
            "UPDATE outbox_message SET failed_at = available_at WHERE status = 'FAILED'",
            reverse_sql="SELECT 1",
        ),
        ops.AddIndex(
            model_name='OutboxMessage',
            index=Index(fields=['account_id', 'created_at']),
        ),
    ]
