CREATE TABLE "capability_policies" (
	"capability" text NOT NULL,
	"account_type" "account_type" NOT NULL,
	"verified" boolean NOT NULL,
	"allowed" boolean NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "capability_policies_capability_account_type_verified_pk" PRIMARY KEY("capability","account_type","verified")
);
--> statement-breakpoint
ALTER TABLE "accounts" ADD COLUMN "verified_at" timestamp with time zone;--> statement-breakpoint
-- What each account type may call, unverified and verified (微信认证), from WeChat's interface-privilege table
-- (../shared/wechat-protocol.md §10.5; capability names in src/modules/accounts/capabilities.ts). Deployments may
-- change these rows; each process reads them again within seconds (capabilities.service.ts).
INSERT INTO capability_policies (capability, account_type, verified, allowed)
SELECT m.capability, p.account_type, p.verified, p.allowed
FROM (VALUES
  -- capability          unverified sub  verified sub  unverified service  verified service
  ('basic',              true,           true,         true,               true),
  ('receive_messages',   true,           true,         true,               true),
  ('menu',               false,          true,         true,               true),
  ('conditional_menu',   false,          true,         false,              true),
  ('menu_info',          true,           true,         true,               true),
  ('custom_message',     false,          true,         false,              true),
  ('kf_management',      false,          false,        false,              true),
  ('template_message',   false,          false,        false,              true),
  ('qrcode',             false,          false,        false,              true),
  ('user_info',          false,          true,         false,              true),
  ('user_tags',          false,          true,         false,              true),
  ('user_location',      false,          false,        false,              true),
  ('oauth',              false,          false,        false,              true),
  ('mass_send',          false,          true,         false,              true),
  ('mass_send_openids',  false,          false,        false,              true),
  ('media',              false,          true,         false,              true),
  ('datacube',           false,          true,         false,              true),
  ('short_url',          false,          false,        false,              true)
) AS m(capability, sub, sub_verified, service, service_verified)
CROSS JOIN LATERAL (VALUES
  ('subscription'::account_type, false, m.sub),
  ('subscription'::account_type, true, m.sub_verified),
  ('service'::account_type, false, m.service),
  ('service'::account_type, true, m.service_verified)
) AS p(account_type, verified, allowed);
