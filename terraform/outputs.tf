# --- Into the Worker's configuration ---------------------------------------------------------

output "hyperdrive_id" {
  description = "Hyperdrive config id for wrangler.toml's [[hyperdrive]] id (binding HYPERDRIVE). Null until database_bootstrapped = true."
  value       = one(cloudflare_hyperdrive_config.main[*].id)
}

output "electric_url" {
  description = "Base URL of Electric through the tunnel: the Worker's ELECTRIC_URL (a [vars] entry or `wrangler secret put`). Null while Electric is not running."
  value       = local.electric_routed ? "https://${var.electric_hostname}" : null
}

output "electric_tunnel_hostname" {
  description = "Tunnel hostname that routes to Electric inside the ECS task."
  value       = var.electric_hostname
}

output "electric_access_client_id" {
  description = "Access service token id the Worker sends as CF-Access-Client-Id to ELECTRIC_URL (secret ELECTRIC_ACCESS_CLIENT_ID). Null when Access is off."
  value       = one(cloudflare_zero_trust_access_service_token.worker_electric[*].client_id)
}

output "electric_access_client_secret" {
  description = "Access service token secret the Worker sends as CF-Access-Client-Secret (secret ELECTRIC_ACCESS_CLIENT_SECRET)."
  value       = one(cloudflare_zero_trust_access_service_token.worker_electric[*].client_secret)
  sensitive   = true
}

output "app_url" {
  description = "Public URL of the app (the Worker's custom domain)."
  value       = "https://${var.app_hostname}"
}

# --- Secrets (read with `aws secretsmanager get-secret-value --secret-id <arn>`) -------------

output "db_admin_secret_arn" {
  description = "Secrets Manager ARN of the admin (master) credentials: migrations and role management."
  value       = aws_secretsmanager_secret.db["admin"].arn
}

output "db_app_secret_arn" {
  description = "Secrets Manager ARN of the credentials Hyperdrive connects with (the role to create on first setup)."
  value       = aws_secretsmanager_secret.db["app"].arn
}

output "db_electric_secret_arn" {
  description = "Secrets Manager ARN of Electric's replication-role credentials; its `url` key is Electric's DATABASE_URL."
  value       = aws_secretsmanager_secret.db["electric"].arn
}

output "electric_secret_arn" {
  description = "Secrets Manager ARN of ELECTRIC_SECRET, which the Worker also needs (`wrangler secret put ELECTRIC_SECRET`)."
  value       = aws_secretsmanager_secret.electric_secret.arn
}

output "tunnel_token_secret_arn" {
  description = "Secrets Manager ARN of the cloudflared tunnel token."
  value       = aws_secretsmanager_secret.tunnel_token.arn
}

# --- For operators ---------------------------------------------------------------------------

output "postgres_tunnel_hostname" {
  description = "Tunnel hostname in front of RDS; operators reach it with `cloudflared access tcp --hostname <this>` and the operator token."
  value       = var.postgres_hostname
}

output "operator_access_client_id" {
  description = "Access service token id for operators' `cloudflared access tcp --service-token-id`."
  value       = cloudflare_zero_trust_access_service_token.operator.client_id
}

output "operator_access_client_secret" {
  description = "Access service token secret for operators' `cloudflared access tcp --service-token-secret`."
  value       = cloudflare_zero_trust_access_service_token.operator.client_secret
  sensitive   = true
}

output "rds_address" {
  description = "Private RDS endpoint hostname (resolvable inside the VPC only)."
  value       = aws_db_instance.main.address
}

output "tunnel_id" {
  description = "Cloudflare Tunnel id (its connector is the cloudflared sidecar)."
  value       = cloudflare_zero_trust_tunnel_cloudflared.main.id
}

output "ecs_cluster_name" {
  description = "ECS cluster running the Electric task."
  value       = aws_ecs_cluster.main.name
}

output "ecs_service_name" {
  description = "ECS service of Electric and its cloudflared sidecar."
  value       = aws_ecs_service.electric.name
}

output "log_group_name" {
  description = "CloudWatch Logs group of the Electric and cloudflared containers."
  value       = aws_cloudwatch_log_group.electric.name
}
