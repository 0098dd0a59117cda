"""The root types, composed from one class per area (resolvers/<area>.py)."""

from __future__ import annotations

import strawberry

from resolvers.accounts import AccountQueries
from resolvers.catalog import CatalogQueries
from resolvers.mutations.contract_plan_change import ContractPlanChangeMutation
from resolvers.mutations.member_remove import MemberRemoveMutation
from resolvers.mutations.member_role_change import MemberRoleChangeMutation
from resolvers.mutations.plan_change_cancel import PlanChangeCancelMutation
from resolvers.mutations.plan_change_decline import PlanChangeDeclineMutation
from resolvers.mutations.plan_change_fulfill import PlanChangeFulfillMutation
from resolvers.mutations.seat_assign import SeatAssignMutation
from resolvers.mutations.seat_transfer import SeatTransferMutation
from resolvers.mutations.seat_unassign import SeatUnassignMutation
from resolvers.mutations.subscription_upgrade import SubscriptionUpgradeMutation
from resolvers.mutations.support_case_create import SupportCaseCreateMutation
from resolvers.mutations.trade_in_cancel import TradeInCancelMutation
from resolvers.mutations.trade_in_decline import TradeInDeclineMutation
from resolvers.mutations.trade_in_fulfill import TradeInFulfillMutation
from resolvers.mutations.user_invite import UserInviteMutation
from resolvers.mutations.users_import import UsersImportMutation
from resolvers.nodes import NodeQueries
from resolvers.viewer import ViewerQueries


@strawberry.type(name="Query", description="Everything a caller can read.")
class Query(ViewerQueries, NodeQueries, AccountQueries, CatalogQueries):
    pass


@strawberry.type(name="Mutation", description="Everything a caller can change.")
class Mutation(
    SubscriptionUpgradeMutation,
    TradeInFulfillMutation,
    TradeInDeclineMutation,
    TradeInCancelMutation,
    ContractPlanChangeMutation,
    PlanChangeFulfillMutation,
    PlanChangeDeclineMutation,
    PlanChangeCancelMutation,
    SeatAssignMutation,
    SeatUnassignMutation,
    SeatTransferMutation,
    UserInviteMutation,
    MemberRoleChangeMutation,
    MemberRemoveMutation,
    UsersImportMutation,
    SupportCaseCreateMutation,
):
    pass
