# The Cloudflare side: one remotely-managed tunnel whose connector is the cloudflared sidecar,
# two hostnames on it (Electric over HTTP, Postgres over TCP), Access in front of both so only
# our own service tokens get through, Hyperdrive through the tunnel, and the Worker's domain.

locals {
  tunnel_cname = "${cloudflare_zero_trust_tunnel_cloudflared.main.id}.cfargotunnel.com"
  # Electric's hostname exists only while Electric runs, so a retired Electric leaves no route.
  electric_routed    = local.electric_running
  electric_protected = local.electric_running && var.electric_require_access
}

# --- Tunnel --------------------------------------------------------------------------------

# config_src = "cloudflare": ingress rules live in the API (the config resource below), so the
# sidecar needs only its token and no config file.
resource "cloudflare_zero_trust_tunnel_cloudflared" "main" {
  account_id = var.cloudflare_account_id
  name       = "${var.name_prefix}-aws"
  config_src = "cloudflare"
}

data "cloudflare_zero_trust_tunnel_cloudflared_token" "main" {
  account_id = var.cloudflare_account_id
  tunnel_id  = cloudflare_zero_trust_tunnel_cloudflared.main.id
}

resource "cloudflare_zero_trust_tunnel_cloudflared_config" "main" {
  account_id = var.cloudflare_account_id
  tunnel_id  = cloudflare_zero_trust_tunnel_cloudflared.main.id

  config = {
    ingress = concat(
      # localhost: Electric is in the same task as cloudflared, so it needs no port or SG rule.
      local.electric_routed ? [{
        hostname = var.electric_hostname
        service  = "http://localhost:${local.electric_port}"
      }] : [],
      [
        # Hyperdrive speaks the Postgres wire protocol (TLS end to end with RDS) over this route.
        {
          hostname = var.postgres_hostname
          service  = "tcp://${aws_db_instance.main.address}:${aws_db_instance.main.port}"
        },
        # The API requires a catch-all last rule; anything else on the tunnel is refused.
        { service = "http_status:404" },
      ],
    )
  }
}

resource "cloudflare_dns_record" "postgres" {
  zone_id = var.cloudflare_zone_id
  name    = var.postgres_hostname
  type    = "CNAME"
  content = local.tunnel_cname
  proxied = true
  ttl     = 1
  comment = "Cloudflare Tunnel to RDS for Hyperdrive (managed by Terraform)"
}

resource "cloudflare_dns_record" "electric" {
  count = local.electric_routed ? 1 : 0

  zone_id = var.cloudflare_zone_id
  name    = var.electric_hostname
  type    = "CNAME"
  content = local.tunnel_cname
  proxied = true
  ttl     = 1
  comment = "Cloudflare Tunnel to Electric for the Worker's sync proxy (managed by Terraform)"
}

# --- Access: Postgres ------------------------------------------------------------------------

# A tunnel hostname is reachable from the whole internet; Access is what makes it Hyperdrive's
# alone. Tokens never expire so the database path cannot lapse silently; rotate them on purpose.
resource "cloudflare_zero_trust_access_service_token" "hyperdrive" {
  account_id = var.cloudflare_account_id
  name       = "${var.name_prefix}-hyperdrive"
  duration   = "forever"
}

# Operators (migrations, first-time SQL) get their own token so it can be revoked without
# touching Hyperdrive's.
resource "cloudflare_zero_trust_access_service_token" "operator" {
  account_id = var.cloudflare_account_id
  name       = "${var.name_prefix}-postgres-operator"
  duration   = "forever"
}

resource "cloudflare_zero_trust_access_policy" "postgres" {
  account_id = var.cloudflare_account_id
  name       = "${var.name_prefix}-postgres-service-tokens"
  # "Service Auth": matched on the token headers alone, no identity provider or login page.
  decision = "non_identity"
  include = [
    { service_token = { token_id = cloudflare_zero_trust_access_service_token.hyperdrive.id } },
    { service_token = { token_id = cloudflare_zero_trust_access_service_token.operator.id } },
  ]
}

resource "cloudflare_zero_trust_access_application" "postgres" {
  account_id           = var.cloudflare_account_id
  name                 = "${var.name_prefix}-postgres"
  type                 = "self_hosted"
  domain               = var.postgres_hostname
  app_launcher_visible = false
  policies = [
    { id = cloudflare_zero_trust_access_policy.postgres.id, precedence = 1 },
  ]
}

# --- Access: Electric ------------------------------------------------------------------------

# ELECTRIC_SECRET already guards shape requests, but /v1/health and the rest of Electric's
# surface are open; Access keeps the whole hostname to the Worker. The Worker sends this token
# as CF-Access-Client-Id / CF-Access-Client-Secret on every request to ELECTRIC_URL.
resource "cloudflare_zero_trust_access_service_token" "worker_electric" {
  count = local.electric_protected ? 1 : 0

  account_id = var.cloudflare_account_id
  name       = "${var.name_prefix}-worker-electric"
  duration   = "forever"
}

resource "cloudflare_zero_trust_access_policy" "electric" {
  count = local.electric_protected ? 1 : 0

  account_id = var.cloudflare_account_id
  name       = "${var.name_prefix}-electric-worker-token"
  decision   = "non_identity"
  include = [
    { service_token = { token_id = cloudflare_zero_trust_access_service_token.worker_electric[0].id } },
  ]
}

resource "cloudflare_zero_trust_access_application" "electric" {
  count = local.electric_protected ? 1 : 0

  account_id           = var.cloudflare_account_id
  name                 = "${var.name_prefix}-electric"
  type                 = "self_hosted"
  domain               = var.electric_hostname
  app_launcher_visible = false
  policies = [
    { id = cloudflare_zero_trust_access_policy.electric[0].id, precedence = 1 },
  ]
}

# --- Hyperdrive ------------------------------------------------------------------------------

# Hyperdrive tests the connection when the config is created, so it waits until the app role
# exists (database_bootstrapped) and the tunnel, its DNS record and Access are in place.
resource "cloudflare_hyperdrive_config" "main" {
  count = var.database_bootstrapped ? 1 : 0

  account_id = var.cloudflare_account_id
  name       = "${var.name_prefix}-postgres"

  # No port: with a tunnel origin Hyperdrive dials the hostname and the tunnel's TCP route
  # supplies the RDS address and port.
  origin = {
    scheme               = "postgres"
    host                 = var.postgres_hostname
    database             = var.db_name
    user                 = var.db_app_user
    password             = random_password.db_app.result
    access_client_id     = cloudflare_zero_trust_access_service_token.hyperdrive.client_id
    access_client_secret = cloudflare_zero_trust_access_service_token.hyperdrive.client_secret
  }

  # Hyperdrive caches reads for 60 s by default and writes do not invalidate them. Every query
  # here is auth, quota or read-after-write, so a cached answer is a wrong answer.
  caching = {
    disabled = true
  }

  # Its id is baked into the deployed Worker: an apply that forgot database_bootstrapped = true
  # must stop with an error, not delete the Worker's database.
  lifecycle {
    prevent_destroy = true
  }

  depends_on = [
    cloudflare_zero_trust_tunnel_cloudflared_config.main,
    cloudflare_dns_record.postgres,
    cloudflare_zero_trust_access_application.postgres,
    aws_ecs_service.electric,
  ]
}

# --- The Worker's public hostname ------------------------------------------------------------

# Cloudflare creates the proxied DNS record and certificate for a custom domain itself.
resource "cloudflare_workers_custom_domain" "app" {
  count = var.worker_deployed ? 1 : 0

  account_id = var.cloudflare_account_id
  zone_id    = var.cloudflare_zone_id
  hostname   = var.app_hostname
  service    = var.worker_name
}
