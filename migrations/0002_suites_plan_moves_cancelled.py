from tortoise import migrations
from tortoise.migrations import operations as ops
from models.enums import TradeInStatus
from tortoise.fields.base import OnDelete
from uuid import uuid4
from tortoise import fields
from tortoise.migrations.constraints import CheckConstraint
from migrations._integrity import AlterEnumField, EnforceConstraints, ReplaceCheck

class Migration(migrations.Migration):
    dependencies = [('seatwise', '0001_initial')]

    initial = False

    operations = [
        ops.CreateModel(
            name='PlanMove',
            fields=[
                ('id', fields.UUIDField(primary_key=True, default=uuid4, unique=True, db_index=True)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('from_plan', fields.ForeignKeyField('seatwise.Plan', source_field='from_plan_id', db_index=True, db_constraint=True, to_field='id', related_name='moves', on_delete=OnDelete.CASCADE)),
                ('to_plan', fields.ForeignKeyField('seatwise.Plan', source_field='to_plan_id', db_index=True, db_constraint=True, to_field='id', related_name='moves_in', on_delete=OnDelete.CASCADE)),
            ],
            options={'table': 'plan_move', 'app': 'seatwise', 'unique_together': (('from_plan', 'to_plan'),), 'constraints': [CheckConstraint(check='from_plan_id <> to_plan_id', name='plan_move_changes_plan')], 'pk_attr': 'id', 'table_description': 'A plan a contract on `from_plan` may move to (data/plans.yaml): the plan change'},
            bases=['Entity'],
        ),
        ops.CreateModel(
            name='SuiteItem',
            fields=[
                ('id', fields.UUIDField(primary_key=True, default=uuid4, unique=True, db_index=True)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('suite', fields.ForeignKeyField('seatwise.Product', source_field='suite_id', db_index=True, db_constraint=True, to_field='id', related_name='suite_items', on_delete=OnDelete.CASCADE)),
                ('product', fields.ForeignKeyField('seatwise.Product', source_field='product_id', db_index=True, db_constraint=True, to_field='id', related_name='contained_in', on_delete=OnDelete.RESTRICT)),
            ],
            options={'table': 'suite_item', 'app': 'seatwise', 'unique_together': (('suite', 'product'),), 'constraints': [CheckConstraint(check='suite_id <> product_id', name='suite_item_not_self')], 'pk_attr': 'id', 'table_description': 'A product a retired suite contained (so a migration knows what is new to its users).'},
            bases=['Entity'],
        ),
        EnforceConstraints('PlanMove'),
        EnforceConstraints('SuiteItem'),
        AlterEnumField(
            model_name='PlanChange',
            name='status',
            field=fields.CharEnumField(description='AWAITING_PARTNER: AWAITING_PARTNER\nIN_GRACE: IN_GRACE\nCOMPLETED: COMPLETED\nDECLINED: DECLINED\nCANCELLED: CANCELLED', enum_type=TradeInStatus, max_length=20),
        ),
        ReplaceCheck(
            model_name='PlanChange',
            constraint=CheckConstraint(check="status IN ('AWAITING_PARTNER','COMPLETED','DECLINED','CANCELLED')", name='plan_change_status_known'),
        ),
        AlterEnumField(
            model_name='TradeIn',
            name='status',
            field=fields.CharEnumField(description='AWAITING_PARTNER: AWAITING_PARTNER\nIN_GRACE: IN_GRACE\nCOMPLETED: COMPLETED\nDECLINED: DECLINED\nCANCELLED: CANCELLED', enum_type=TradeInStatus, max_length=20),
        ),
        ReplaceCheck(
            model_name='TradeIn',
            constraint=CheckConstraint(check="status IN ('AWAITING_PARTNER','IN_GRACE','COMPLETED','DECLINED','CANCELLED')", name='trade_in_status_known'),
        ),
    ]
