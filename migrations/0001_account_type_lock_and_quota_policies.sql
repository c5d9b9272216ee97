-- The type choice of an official account is made once and is final. The route refuses a second choice, and
-- this trigger makes the rule hold for every writer, including a direct UPDATE from psql.
CREATE FUNCTION enforce_account_type_lock() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  IF OLD.type_locked AND (NEW.type IS DISTINCT FROM OLD.type OR NOT NEW.type_locked) THEN
    RAISE EXCEPTION 'account % has already chosen its type (%); the choice is final', OLD.id, OLD.type
      USING ERRCODE = 'check_violation', CONSTRAINT = 'accounts_type_locked';
  END IF;
  RETURN NEW;
END;
$$;
--> statement-breakpoint
CREATE TRIGGER accounts_type_lock
  BEFORE UPDATE OF type, type_locked ON accounts
  FOR EACH ROW EXECUTE FUNCTION enforce_account_type_lock();
--> statement-breakpoint
-- Posting quotas from the source documents (WeChat's 2013 rules): a subscription account may broadcast once per
-- calendar day, a service account once per calendar month. Deployments may change these rows.
INSERT INTO quota_policies (account_type, period, max_units) VALUES
  ('subscription', 'day', 1),
  ('service', 'month', 1);
