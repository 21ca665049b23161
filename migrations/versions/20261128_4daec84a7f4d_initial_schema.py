"""initial schema

Revision ID: 4daec84a7f4d
Revises: 
Create Date: 2026-11-28 22:31:07.453057

"""
from alembic import op
import sqlalchemy as sa

import models.types
from sqlalchemy.dialects import mysql

# revision identifiers, used by Alembic.
revision = '4daec84a7f4d'
down_revision = None
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('coupons',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=50), nullable=False),
    sa.Column('description', sa.String(length=255), nullable=True),
    sa.Column('discount_type', sa.String(length=16), nullable=False),
    sa.Column('discount_value', sa.Numeric(precision=10, scale=2), nullable=False),
    sa.Column('min_order_amount', sa.Numeric(precision=10, scale=2), nullable=True),
    sa.Column('max_uses', sa.Integer(), nullable=True),
    sa.Column('max_uses_per_user', sa.Integer(), nullable=True),
    sa.Column('used_count', sa.Integer(), nullable=False),
    sa.Column('valid_from', models.types.UTCDateTime(), nullable=True),
    sa.Column('valid_until', models.types.UTCDateTime(), nullable=True),
    sa.Column('is_active', sa.Boolean(), nullable=False),
    sa.Column('created_at', models.types.UTCDateTime(), nullable=False),
    sa.Column('updated_at', models.types.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_coupons')),
    sa.UniqueConstraint('code', name=op.f('uq_coupons_code'))
    )
    with op.batch_alter_table('coupons', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_coupons_is_active'), ['is_active'], unique=False)

    op.create_table('plans',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('slug', sa.String(length=100), nullable=False),
    sa.Column('description', sa.Text(), nullable=True),
    sa.Column('price', sa.Numeric(precision=10, scale=2), nullable=False),
    sa.Column('features', sa.JSON(), nullable=False),
    sa.Column('is_active', sa.Boolean(), nullable=False),
    sa.Column('display_order', sa.Integer(), nullable=False),
    sa.Column('created_at', models.types.UTCDateTime(), nullable=False),
    sa.Column('updated_at', models.types.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_plans')),
    sa.UniqueConstraint('slug', name=op.f('uq_plans_slug'))
    )
    with op.batch_alter_table('plans', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_plans_display_order'), ['display_order'], unique=False)
        batch_op.create_index(batch_op.f('ix_plans_is_active'), ['is_active'], unique=False)

    op.create_table('templates',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('slug', sa.String(length=120), nullable=False),
    sa.Column('category', sa.String(length=20), nullable=False),
    sa.Column('description', sa.Text(), nullable=True),
    sa.Column('price', sa.Numeric(precision=10, scale=2), nullable=False),
    sa.Column('preview_url', sa.String(length=500), nullable=True),
    sa.Column('thumbnail_url', sa.String(length=500), nullable=True),
    sa.Column('is_active', sa.Boolean(), nullable=False),
    sa.Column('display_order', sa.Integer(), nullable=False),
    sa.Column('config', sa.JSON(), nullable=False),
    sa.Column('created_at', models.types.UTCDateTime(), nullable=False),
    sa.Column('updated_at', models.types.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_templates')),
    sa.UniqueConstraint('slug', name=op.f('uq_templates_slug'))
    )
    with op.batch_alter_table('templates', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_templates_category'), ['category'], unique=False)
        batch_op.create_index(batch_op.f('ix_templates_display_order'), ['display_order'], unique=False)
        batch_op.create_index(batch_op.f('ix_templates_is_active'), ['is_active'], unique=False)

    op.create_table('users',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('email', sa.String(length=255), nullable=False),
    sa.Column('password_hash', sa.String(length=255), nullable=False),
    sa.Column('role', sa.String(length=16), nullable=False),
    sa.Column('first_name', sa.String(length=100), nullable=False),
    sa.Column('last_name', sa.String(length=100), nullable=False),
    sa.Column('phone', sa.String(length=30), nullable=True),
    sa.Column('is_active', sa.Boolean(), nullable=False),
    sa.Column('last_login_at', models.types.UTCDateTime(), nullable=True),
    sa.Column('token_version', sa.Integer(), nullable=False),
    sa.Column('deleted_at', models.types.UTCDateTime(), nullable=True),
    sa.Column('created_at', models.types.UTCDateTime(), nullable=False),
    sa.Column('updated_at', models.types.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_users')),
    sa.UniqueConstraint('email', name=op.f('uq_users_email'))
    )
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_users_is_active'), ['is_active'], unique=False)
        batch_op.create_index(batch_op.f('ix_users_role'), ['role'], unique=False)

    op.create_table('coupon_plans',
    sa.Column('coupon_id', sa.Integer(), nullable=False),
    sa.Column('plan_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['coupon_id'], ['coupons.id'], name=op.f('fk_coupon_plans_coupon_id_coupons'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['plan_id'], ['plans.id'], name=op.f('fk_coupon_plans_plan_id_plans'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('coupon_id', 'plan_id', name=op.f('pk_coupon_plans'))
    )
    with op.batch_alter_table('coupon_plans', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_coupon_plans_plan_id'), ['plan_id'], unique=False)

    op.create_table('orders',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('order_number', sa.String(length=32), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('payment_status', sa.String(length=16), nullable=False),
    sa.Column('subtotal', sa.Numeric(precision=10, scale=2), nullable=False),
    sa.Column('discount_total', sa.Numeric(precision=10, scale=2), nullable=False),
    sa.Column('total', sa.Numeric(precision=10, scale=2), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('coupon_id', sa.Integer(), nullable=True),
    sa.Column('coupon_code', sa.String(length=50), nullable=True),
    sa.Column('paid_at', models.types.UTCDateTime(), nullable=True),
    sa.Column('expires_at', models.types.UTCDateTime(), nullable=True),
    sa.Column('cancelled_at', models.types.UTCDateTime(), nullable=True),
    sa.Column('refunded_at', models.types.UTCDateTime(), nullable=True),
    sa.Column('created_at', models.types.UTCDateTime(), nullable=False),
    sa.Column('updated_at', models.types.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['coupon_id'], ['coupons.id'], name=op.f('fk_orders_coupon_id_coupons'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_orders_user_id_users'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_orders')),
    sa.UniqueConstraint('order_number', name=op.f('uq_orders_order_number'))
    )
    with op.batch_alter_table('orders', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_orders_coupon_id'), ['coupon_id'], unique=False)
        batch_op.create_index('ix_orders_created_at', ['created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_orders_expires_at'), ['expires_at'], unique=False)
        batch_op.create_index('ix_orders_status_created_at', ['status', 'created_at'], unique=False)
        batch_op.create_index('ix_orders_user_id_created_at', ['user_id', 'created_at'], unique=False)

    op.create_table('testimonials',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('author_name', sa.String(length=150), nullable=False),
    sa.Column('event_type', sa.String(length=30), nullable=True),
    sa.Column('message', sa.Text(), nullable=False),
    sa.Column('rating', sa.Integer(), nullable=False),
    sa.Column('is_approved', sa.Boolean(), nullable=False),
    sa.Column('is_featured', sa.Boolean(), nullable=False),
    sa.Column('display_order', sa.Integer(), nullable=False),
    sa.Column('created_at', models.types.UTCDateTime(), nullable=False),
    sa.Column('updated_at', models.types.UTCDateTime(), nullable=False),
    sa.CheckConstraint('rating BETWEEN 1 AND 5', name=op.f('ck_testimonials_rating_range')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_testimonials_user_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_testimonials'))
    )
    with op.batch_alter_table('testimonials', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_testimonials_is_approved'), ['is_approved'], unique=False)
        batch_op.create_index(batch_op.f('ix_testimonials_user_id'), ['user_id'], unique=False)

    op.create_table('claims',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=20), nullable=False),
    sa.Column('claim_type', sa.String(length=10), nullable=False),
    sa.Column('full_name', sa.String(length=200), nullable=False),
    sa.Column('document_type', sa.String(length=10), nullable=False),
    sa.Column('document_number', sa.String(length=20), nullable=False),
    sa.Column('address', sa.String(length=300), nullable=False),
    sa.Column('phone', sa.String(length=30), nullable=True),
    sa.Column('email', sa.String(length=255), nullable=False),
    sa.Column('is_minor', sa.Boolean(), nullable=False),
    sa.Column('guardian_name', sa.String(length=200), nullable=True),
    sa.Column('item_type', sa.String(length=10), nullable=False),
    sa.Column('item_description', sa.String(length=500), nullable=False),
    sa.Column('amount', sa.Numeric(precision=10, scale=2), nullable=True),
    sa.Column('detail', sa.Text(), nullable=False),
    sa.Column('consumer_request', sa.Text(), nullable=False),
    sa.Column('order_id', sa.Integer(), nullable=True),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('response', sa.Text(), nullable=True),
    sa.Column('responded_at', models.types.UTCDateTime(), nullable=True),
    sa.Column('response_due_date', sa.Date(), nullable=False),
    sa.Column('created_at', models.types.UTCDateTime(), nullable=False),
    sa.Column('updated_at', models.types.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['order_id'], ['orders.id'], name=op.f('fk_claims_order_id_orders'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_claims_user_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_claims')),
    sa.UniqueConstraint('code', name=op.f('uq_claims_code'))
    )
    with op.batch_alter_table('claims', schema=None) as batch_op:
        batch_op.create_index('ix_claims_created_at', ['created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_claims_email'), ['email'], unique=False)
        batch_op.create_index(batch_op.f('ix_claims_order_id'), ['order_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_claims_status'), ['status'], unique=False)
        batch_op.create_index(batch_op.f('ix_claims_user_id'), ['user_id'], unique=False)

    op.create_table('coupon_usages',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('coupon_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('order_id', sa.Integer(), nullable=False),
    sa.Column('discount_amount', sa.Numeric(precision=10, scale=2), nullable=False),
    sa.Column('created_at', models.types.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['coupon_id'], ['coupons.id'], name=op.f('fk_coupon_usages_coupon_id_coupons'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['order_id'], ['orders.id'], name=op.f('fk_coupon_usages_order_id_orders'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_coupon_usages_user_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_coupon_usages')),
    sa.UniqueConstraint('order_id', name=op.f('uq_coupon_usages_order_id'))
    )
    with op.batch_alter_table('coupon_usages', schema=None) as batch_op:
        batch_op.create_index('ix_coupon_usages_coupon_id_user_id', ['coupon_id', 'user_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_coupon_usages_user_id'), ['user_id'], unique=False)

    op.create_table('invitations',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('template_id', sa.Integer(), nullable=False),
    sa.Column('order_id', sa.Integer(), nullable=True),
    sa.Column('plan_id', sa.Integer(), nullable=True),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('is_published', sa.Boolean(), nullable=False),
    sa.Column('published_at', models.types.UTCDateTime(), nullable=True),
    sa.Column('deleted_at', models.types.UTCDateTime(), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('created_at', models.types.UTCDateTime(), nullable=False),
    sa.Column('updated_at', models.types.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['order_id'], ['orders.id'], name=op.f('fk_invitations_order_id_orders'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['plan_id'], ['plans.id'], name=op.f('fk_invitations_plan_id_plans'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['template_id'], ['templates.id'], name=op.f('fk_invitations_template_id_templates'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_invitations_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_invitations'))
    )
    with op.batch_alter_table('invitations', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_invitations_is_published'), ['is_published'], unique=False)
        batch_op.create_index(batch_op.f('ix_invitations_order_id'), ['order_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_invitations_plan_id'), ['plan_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_invitations_template_id'), ['template_id'], unique=False)
        batch_op.create_index('ix_invitations_user_id_created_at', ['user_id', 'created_at'], unique=False)

    op.create_table('order_events',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('order_id', sa.Integer(), nullable=False),
    sa.Column('from_status', sa.String(length=16), nullable=True),
    sa.Column('to_status', sa.String(length=16), nullable=False),
    sa.Column('reason', sa.String(length=255), nullable=True),
    sa.Column('actor_user_id', sa.Integer(), nullable=True),
    sa.Column('created_at', models.types.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['actor_user_id'], ['users.id'], name=op.f('fk_order_events_actor_user_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['order_id'], ['orders.id'], name=op.f('fk_order_events_order_id_orders'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_order_events'))
    )
    with op.batch_alter_table('order_events', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_order_events_actor_user_id'), ['actor_user_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_order_events_order_id'), ['order_id'], unique=False)

    op.create_table('payment_transactions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('gateway', sa.String(length=20), nullable=False),
    sa.Column('transaction_uuid', sa.String(length=64), nullable=True),
    sa.Column('order_id', sa.Integer(), nullable=True),
    sa.Column('order_number', sa.String(length=32), nullable=True),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('source', sa.String(length=10), nullable=False),
    sa.Column('status', sa.String(length=32), nullable=True),
    sa.Column('detailed_status', sa.String(length=64), nullable=True),
    sa.Column('amount', sa.Integer(), nullable=True),
    sa.Column('currency', sa.String(length=3), nullable=True),
    sa.Column('mode', sa.String(length=16), nullable=True),
    sa.Column('flagged', sa.Boolean(), nullable=False),
    sa.Column('flag_reason', sa.String(length=255), nullable=True),
    sa.Column('raw_answer', sa.Text().with_variant(mysql.MEDIUMTEXT(), 'mariadb').with_variant(mysql.MEDIUMTEXT(), 'mysql'), nullable=True),
    sa.Column('received_at', models.types.UTCDateTime(), nullable=False),
    sa.Column('processed', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['order_id'], ['orders.id'], name=op.f('fk_payment_transactions_order_id_orders'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_payment_transactions')),
    sa.UniqueConstraint('transaction_uuid', 'status', 'kind', name=op.f('uq_payment_transactions_transaction_uuid_status_kind'))
    )
    with op.batch_alter_table('payment_transactions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_payment_transactions_order_id'), ['order_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_payment_transactions_order_number'), ['order_number'], unique=False)

    op.create_table('invitation_events',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('invitation_id', sa.Integer(), nullable=False),
    sa.Column('event_type', sa.String(length=30), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('description', sa.Text(), nullable=True),
    sa.Column('starts_at', models.types.UTCDateTime(), nullable=True),
    sa.Column('ends_at', models.types.UTCDateTime(), nullable=True),
    sa.Column('venue_name', sa.String(length=200), nullable=True),
    sa.Column('venue_address', sa.String(length=300), nullable=True),
    sa.Column('map_url', sa.String(length=500), nullable=True),
    sa.Column('latitude', sa.Numeric(precision=9, scale=6), nullable=True),
    sa.Column('longitude', sa.Numeric(precision=9, scale=6), nullable=True),
    sa.Column('display_order', sa.Integer(), nullable=False),
    sa.Column('created_at', models.types.UTCDateTime(), nullable=False),
    sa.Column('updated_at', models.types.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['invitation_id'], ['invitations.id'], name=op.f('fk_invitation_events_invitation_id_invitations'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_invitation_events'))
    )
    with op.batch_alter_table('invitation_events', schema=None) as batch_op:
        batch_op.create_index('ix_invitation_events_invitation_id_display_order', ['invitation_id', 'display_order'], unique=False)

    op.create_table('invitation_media',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('invitation_id', sa.Integer(), nullable=False),
    sa.Column('media_type', sa.String(length=20), nullable=False),
    sa.Column('storage_key', sa.String(length=255), nullable=False),
    sa.Column('thumbnail_key', sa.String(length=255), nullable=True),
    sa.Column('url', sa.String(length=500), nullable=False),
    sa.Column('thumbnail_url', sa.String(length=500), nullable=True),
    sa.Column('mime_type', sa.String(length=100), nullable=False),
    sa.Column('size_bytes', sa.Integer(), nullable=False),
    sa.Column('width', sa.Integer(), nullable=True),
    sa.Column('height', sa.Integer(), nullable=True),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('caption', sa.String(length=300), nullable=True),
    sa.Column('display_order', sa.Integer(), nullable=False),
    sa.Column('created_at', models.types.UTCDateTime(), nullable=False),
    sa.Column('updated_at', models.types.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['invitation_id'], ['invitations.id'], name=op.f('fk_invitation_media_invitation_id_invitations'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_invitation_media'))
    )
    with op.batch_alter_table('invitation_media', schema=None) as batch_op:
        batch_op.create_index('ix_invitation_media_invitation_id_display_order', ['invitation_id', 'display_order'], unique=False)

    op.create_table('invitation_urls',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('invitation_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=10), nullable=False),
    sa.Column('code', sa.String(length=64), nullable=False),
    sa.Column('guest_name', sa.String(length=150), nullable=True),
    sa.Column('max_guests', sa.Integer(), nullable=True),
    sa.Column('is_active', sa.Boolean(), nullable=False),
    sa.Column('visits', sa.Integer(), nullable=False),
    sa.Column('last_visited_at', models.types.UTCDateTime(), nullable=True),
    sa.Column('created_at', models.types.UTCDateTime(), nullable=False),
    sa.Column('updated_at', models.types.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['invitation_id'], ['invitations.id'], name=op.f('fk_invitation_urls_invitation_id_invitations'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_invitation_urls')),
    sa.UniqueConstraint('code', name=op.f('uq_invitation_urls_code'))
    )
    with op.batch_alter_table('invitation_urls', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_invitation_urls_invitation_id'), ['invitation_id'], unique=False)

    op.create_table('order_items',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('order_id', sa.Integer(), nullable=False),
    sa.Column('plan_id', sa.Integer(), nullable=False),
    sa.Column('template_id', sa.Integer(), nullable=False),
    sa.Column('invitation_id', sa.Integer(), nullable=True),
    sa.Column('plan_name', sa.String(length=100), nullable=False),
    sa.Column('template_name', sa.String(length=120), nullable=False),
    sa.Column('quantity', sa.Integer(), nullable=False),
    sa.Column('unit_price', sa.Numeric(precision=10, scale=2), nullable=False),
    sa.Column('line_total', sa.Numeric(precision=10, scale=2), nullable=False),
    sa.ForeignKeyConstraint(['invitation_id'], ['invitations.id'], name=op.f('fk_order_items_invitation_id_invitations'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['order_id'], ['orders.id'], name=op.f('fk_order_items_order_id_orders'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['plan_id'], ['plans.id'], name=op.f('fk_order_items_plan_id_plans'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['template_id'], ['templates.id'], name=op.f('fk_order_items_template_id_templates'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_order_items'))
    )
    with op.batch_alter_table('order_items', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_order_items_invitation_id'), ['invitation_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_order_items_order_id'), ['order_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_order_items_plan_id'), ['plan_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_order_items_template_id'), ['template_id'], unique=False)

    op.create_table('invitation_data',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('invitation_id', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=True),
    sa.Column('subtitle', sa.String(length=300), nullable=True),
    sa.Column('welcome_message', sa.Text(), nullable=True),
    sa.Column('couple_bride_name', sa.String(length=150), nullable=True),
    sa.Column('couple_groom_name', sa.String(length=150), nullable=True),
    sa.Column('honoree_name', sa.String(length=150), nullable=True),
    sa.Column('bride_father_name', sa.String(length=150), nullable=True),
    sa.Column('bride_mother_name', sa.String(length=150), nullable=True),
    sa.Column('groom_father_name', sa.String(length=150), nullable=True),
    sa.Column('groom_mother_name', sa.String(length=150), nullable=True),
    sa.Column('godparents', sa.JSON(), nullable=True),
    sa.Column('event_date', models.types.UTCDateTime(), nullable=True),
    sa.Column('timezone', sa.String(length=64), nullable=False),
    sa.Column('story_text', sa.Text(), nullable=True),
    sa.Column('quote_text', sa.Text(), nullable=True),
    sa.Column('quote_author', sa.String(length=150), nullable=True),
    sa.Column('hashtag', sa.String(length=100), nullable=True),
    sa.Column('dress_code', sa.String(length=100), nullable=True),
    sa.Column('dress_code_notes', sa.Text(), nullable=True),
    sa.Column('reserved_colors', sa.JSON(), nullable=True),
    sa.Column('ceremony_venue_name', sa.String(length=200), nullable=True),
    sa.Column('ceremony_address', sa.String(length=300), nullable=True),
    sa.Column('ceremony_map_url', sa.String(length=500), nullable=True),
    sa.Column('ceremony_latitude', sa.Numeric(precision=9, scale=6), nullable=True),
    sa.Column('ceremony_longitude', sa.Numeric(precision=9, scale=6), nullable=True),
    sa.Column('ceremony_time', sa.String(length=5), nullable=True),
    sa.Column('reception_venue_name', sa.String(length=200), nullable=True),
    sa.Column('reception_address', sa.String(length=300), nullable=True),
    sa.Column('reception_map_url', sa.String(length=500), nullable=True),
    sa.Column('reception_latitude', sa.Numeric(precision=9, scale=6), nullable=True),
    sa.Column('reception_longitude', sa.Numeric(precision=9, scale=6), nullable=True),
    sa.Column('reception_time', sa.String(length=5), nullable=True),
    sa.Column('rsvp_enabled', sa.Boolean(), nullable=False),
    sa.Column('rsvp_deadline', sa.Date(), nullable=True),
    sa.Column('rsvp_message', sa.Text(), nullable=True),
    sa.Column('rsvp_whatsapp_number', sa.String(length=30), nullable=True),
    sa.Column('default_max_guests', sa.Integer(), nullable=True),
    sa.Column('kids_allowed', sa.Boolean(), nullable=False),
    sa.Column('kids_note', sa.Text(), nullable=True),
    sa.Column('gifts_enabled', sa.Boolean(), nullable=False),
    sa.Column('gifts_message', sa.Text(), nullable=True),
    sa.Column('gift_registry_url', sa.String(length=500), nullable=True),
    sa.Column('bank_name', sa.String(length=100), nullable=True),
    sa.Column('bank_account_holder', sa.String(length=100), nullable=True),
    sa.Column('bank_account_number', sa.String(length=40), nullable=True),
    sa.Column('bank_cci', sa.String(length=40), nullable=True),
    sa.Column('yape_number', sa.String(length=30), nullable=True),
    sa.Column('plin_number', sa.String(length=30), nullable=True),
    sa.Column('music_enabled', sa.Boolean(), nullable=False),
    sa.Column('music_media_id', sa.Integer(), nullable=True),
    sa.Column('music_autoplay', sa.Boolean(), nullable=False),
    sa.Column('video_url', sa.String(length=500), nullable=True),
    sa.Column('gallery_enabled', sa.Boolean(), nullable=False),
    sa.Column('gallery_title', sa.String(length=200), nullable=True),
    sa.Column('countdown_enabled', sa.Boolean(), nullable=False),
    sa.Column('livestream_url', sa.String(length=500), nullable=True),
    sa.Column('accommodation_info', sa.Text(), nullable=True),
    sa.Column('transport_info', sa.Text(), nullable=True),
    sa.Column('theme_primary_color', sa.String(length=7), nullable=True),
    sa.Column('theme_secondary_color', sa.String(length=7), nullable=True),
    sa.Column('theme_font_title', sa.String(length=100), nullable=True),
    sa.Column('theme_font_body', sa.String(length=100), nullable=True),
    sa.Column('language', sa.String(length=2), nullable=False),
    sa.Column('cover_media_id', sa.Integer(), nullable=True),
    sa.Column('og_title', sa.String(length=200), nullable=True),
    sa.Column('og_description', sa.String(length=300), nullable=True),
    sa.Column('og_image_media_id', sa.Integer(), nullable=True),
    sa.Column('sections', sa.JSON(), nullable=True),
    sa.Column('thanks_message', sa.Text(), nullable=True),
    sa.Column('footer_text', sa.String(length=300), nullable=True),
    sa.Column('contact_phone', sa.String(length=30), nullable=True),
    sa.Column('contact_email', sa.String(length=255), nullable=True),
    sa.Column('instagram_url', sa.String(length=500), nullable=True),
    sa.Column('facebook_url', sa.String(length=500), nullable=True),
    sa.Column('tiktok_url', sa.String(length=500), nullable=True),
    sa.Column('custom_fields', sa.JSON(), nullable=True),
    sa.Column('created_at', models.types.UTCDateTime(), nullable=False),
    sa.Column('updated_at', models.types.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['cover_media_id'], ['invitation_media.id'], name=op.f('fk_invitation_data_cover_media_id_invitation_media'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['invitation_id'], ['invitations.id'], name=op.f('fk_invitation_data_invitation_id_invitations'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['music_media_id'], ['invitation_media.id'], name=op.f('fk_invitation_data_music_media_id_invitation_media'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['og_image_media_id'], ['invitation_media.id'], name=op.f('fk_invitation_data_og_image_media_id_invitation_media'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_invitation_data')),
    sa.UniqueConstraint('invitation_id', name=op.f('uq_invitation_data_invitation_id'))
    )
    with op.batch_alter_table('invitation_data', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_invitation_data_cover_media_id'), ['cover_media_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_invitation_data_music_media_id'), ['music_media_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_invitation_data_og_image_media_id'), ['og_image_media_id'], unique=False)

    op.create_table('invitation_responses',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('invitation_id', sa.Integer(), nullable=False),
    sa.Column('invitation_url_id', sa.Integer(), nullable=True),
    sa.Column('guest_name', sa.String(length=150), nullable=False),
    sa.Column('phone', sa.String(length=30), nullable=True),
    sa.Column('email', sa.String(length=255), nullable=True),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('number_of_guests', sa.Integer(), nullable=False),
    sa.Column('message', sa.Text(), nullable=True),
    sa.Column('dietary_restrictions', sa.String(length=500), nullable=True),
    sa.Column('created_at', models.types.UTCDateTime(), nullable=False),
    sa.Column('updated_at', models.types.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['invitation_id'], ['invitations.id'], name=op.f('fk_invitation_responses_invitation_id_invitations'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['invitation_url_id'], ['invitation_urls.id'], name=op.f('fk_invitation_responses_invitation_url_id_invitation_urls'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_invitation_responses')),
    sa.UniqueConstraint('invitation_url_id', name=op.f('uq_invitation_responses_invitation_url_id'))
    )
    with op.batch_alter_table('invitation_responses', schema=None) as batch_op:
        batch_op.create_index('ix_invitation_responses_invitation_id_created_at', ['invitation_id', 'created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_invitation_responses_status'), ['status'], unique=False)



def downgrade():
    # Dropping a table drops its indexes; dropping them first fails on MySQL where
    # an index backs a foreign key.
    op.drop_table('invitation_responses')
    op.drop_table('invitation_data')
    op.drop_table('order_items')
    op.drop_table('invitation_urls')
    op.drop_table('invitation_media')
    op.drop_table('invitation_events')
    op.drop_table('payment_transactions')
    op.drop_table('order_events')
    op.drop_table('invitations')
    op.drop_table('coupon_usages')
    op.drop_table('claims')
    op.drop_table('testimonials')
    op.drop_table('orders')
    op.drop_table('coupon_plans')
    op.drop_table('users')
    op.drop_table('templates')
    op.drop_table('plans')
    op.drop_table('coupons')
