from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise.fields.base import OnDelete
from tortoise import fields
from migrations._integrity import CreatePartialIndex, DropFieldIndex

# Ending a seat (every unassign, transfer and grace expiry) cannot be a HOT update, since
# `unassigned_at` is in the one-active-seat index's condition: PostgreSQL then writes a new
# entry for the row in every full index of the table. Seats are only searched by
# subscription or user among the active ones, so the full indexes on both become one
# partial index on the user (the one-active-seat index already leads with the
# subscription): an ended seat leaves them instead of adding entries. A raw UPDATE ending
# 300,000 seats went from 6.7 s to 3.2 s (bench/RESULTS.md). Likewise trade-ins are
# searched by deadline only while in grace, and by partner only when they name one:
# completing a trade-in writes no entry in either index, which no longer grow with history.


class Migration(migrations.Migration):
    dependencies = [('seatwise', '0004_subscription_status_unindexed')]

    initial = False

    operations = [
        DropFieldIndex(
            model_name='SeatAssignment',
            name='subscription',
            field=fields.ForeignKeyField('seatwise.ProductSubscription', source_field='subscription_id', db_constraint=True, to_field='id', related_name='assignments', on_delete=OnDelete.CASCADE),
            index_name='idx_seat_assign_subscri_d5354d',
        ),
        DropFieldIndex(
            model_name='SeatAssignment',
            name='user',
            field=fields.ForeignKeyField('seatwise.User', source_field='user_id', db_constraint=True, to_field='id', related_name='assignments', on_delete=OnDelete.CASCADE),
            index_name='idx_seat_assign_user_id_5679d9',
        ),
        CreatePartialIndex(
            model_name='SeatAssignment',
            name='seat_assignment_active_user',
            fields=('user_id',),
            condition='unassigned_at IS NULL',
        ),
        ops.RemoveIndex(
            model_name='TradeIn',
            name=None,
            fields=['status', 'grace_ends_at'],
        ),
        CreatePartialIndex(
            model_name='TradeIn',
            name='trade_in_in_grace',
            fields=('grace_ends_at',),
            condition="status = 'IN_GRACE'",
        ),
        DropFieldIndex(
            model_name='TradeIn',
            name='partner',
            field=fields.ForeignKeyField('seatwise.Partner', source_field='partner_id', null=True, db_constraint=True, to_field='id', related_name='trade_ins', on_delete=OnDelete.RESTRICT),
            index_name='idx_trade_in_partner_14d841',
        ),
        CreatePartialIndex(
            model_name='TradeIn',
            name='trade_in_partner',
            fields=('partner_id',),
            condition='partner_id IS NOT NULL',
        ),
    ]
