# Every credential is generated here and kept in Secrets Manager, so the ECS task receives it at
# start-up without it ever appearing in a task definition, and operators read it with IAM rather
# than from a shared document. The values are also in the Terraform state: protect the backend.

# Letters and digits only: the passwords are embedded in postgres:// URLs and Electric's secret
# travels as a query parameter, so nothing may need escaping.
resource "random_password" "db_admin" {
  length  = 40
  special = false
}

resource "random_password" "db_app" {
  length  = 40
  special = false
}

resource "random_password" "db_electric" {
  length  = 40
  special = false
}

resource "random_password" "electric_secret" {
  length  = 48
  special = false
}

locals {
  # The RDS endpoint itself, never a pooler (RDS Proxy, PgBouncer): Electric's replication
  # connection and the advisory lock it holds need a real session of their own.
  db_host = aws_db_instance.main.address
  db_port = aws_db_instance.main.port

  db_roles = toset(["admin", "app", "electric"])
  db_credentials = {
    admin = {
      username = var.db_admin_user
      password = random_password.db_admin.result
    }
    app = {
      username = var.db_app_user
      password = random_password.db_app.result
    }
    electric = {
      username = var.db_electric_user
      password = random_password.db_electric.result
    }
  }
}

# One secret per role; `url` is what DATABASE_URL takes. for_each runs over the role names only,
# because Terraform refuses sensitive values (the passwords) as instance keys.
resource "aws_secretsmanager_secret" "db" {
  for_each = local.db_roles

  name        = "${var.name_prefix}/postgres/${each.key}"
  description = "Postgres credentials for the ${local.db_credentials[each.key].username} role"
  # Long enough to undo an accidental delete, short enough not to block a re-create for a month.
  recovery_window_in_days = 7
}

resource "aws_secretsmanager_secret_version" "db" {
  for_each = local.db_roles

  secret_id = aws_secretsmanager_secret.db[each.key].id
  secret_string = jsonencode({
    username = local.db_credentials[each.key].username
    password = local.db_credentials[each.key].password
    host     = local.db_host
    port     = local.db_port
    dbname   = var.db_name
    url      = "postgresql://${local.db_credentials[each.key].username}:${local.db_credentials[each.key].password}@${local.db_host}:${local.db_port}/${var.db_name}?sslmode=require"
  })
}

# ELECTRIC_SECRET: Electric refuses shape requests without it; the Worker's proxy adds it
# server-side, so it never reaches a browser.
resource "aws_secretsmanager_secret" "electric_secret" {
  name                    = "${var.name_prefix}/electric/secret"
  description             = "ELECTRIC_SECRET shared by Electric and the Worker's sync proxy"
  recovery_window_in_days = 7
}

resource "aws_secretsmanager_secret_version" "electric_secret" {
  secret_id     = aws_secretsmanager_secret.electric_secret.id
  secret_string = random_password.electric_secret.result
}

resource "aws_secretsmanager_secret" "tunnel_token" {
  name                    = "${var.name_prefix}/cloudflared/tunnel-token"
  description             = "Token the cloudflared sidecar runs the Cloudflare Tunnel with"
  recovery_window_in_days = 7
}

resource "aws_secretsmanager_secret_version" "tunnel_token" {
  secret_id     = aws_secretsmanager_secret.tunnel_token.id
  secret_string = data.cloudflare_zero_trust_tunnel_cloudflared_token.main.token
}
