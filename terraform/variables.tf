# --- Where ---------------------------------------------------------------------------------

variable "aws_region" {
  type        = string
  description = "AWS region for the VPC, RDS and the Electric task (e.g. \"eu-west-1\")."
}

variable "name_prefix" {
  type        = string
  description = "Prefix for every resource name, so several stacks can share one account."
  default     = "gradual"

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,20}$", var.name_prefix))
    error_message = "name_prefix must be 2-21 lowercase letters, digits or dashes, starting with a letter."
  }
}

variable "cloudflare_account_id" {
  type        = string
  description = "Cloudflare account that owns the Worker, the tunnel, Access and Hyperdrive."
}

variable "cloudflare_zone_id" {
  type        = string
  description = "Cloudflare zone (DNS domain) holding app_hostname, electric_hostname and postgres_hostname."
}

variable "app_hostname" {
  type        = string
  description = "Public hostname of the app, attached to the Worker as a custom domain (e.g. \"gradual.example.com\")."
}

variable "electric_hostname" {
  type        = string
  description = "Tunnel hostname the Worker reaches Electric on; becomes the Worker's ELECTRIC_URL (e.g. \"electric.internal.example.com\")."
}

variable "postgres_hostname" {
  type        = string
  description = "Tunnel hostname Hyperdrive (and operators, through `cloudflared access tcp`) reach RDS on (e.g. \"db.internal.example.com\")."
}

# --- Network -------------------------------------------------------------------------------

variable "vpc_cidr" {
  type        = string
  description = "CIDR block of the VPC; subnets are carved out of it as /24s."
  default     = "10.40.0.0/16"

  validation {
    condition     = can(cidrhost(var.vpc_cidr, 0)) && try(tonumber(split("/", var.vpc_cidr)[1]) <= 20, false)
    error_message = "vpc_cidr must be a valid IPv4 CIDR block of /20 or larger."
  }
}

variable "nat_gateway_per_az" {
  type        = bool
  description = "One NAT gateway per availability zone (survives an AZ outage) instead of a single shared one (cheaper)."
  default     = false
}

# --- Postgres (RDS) ------------------------------------------------------------------------

variable "db_instance_class" {
  type        = string
  description = "RDS instance class."
  default     = "db.t4g.medium"
}

variable "db_allocated_storage_gb" {
  type        = number
  description = "Initial RDS storage in GiB."
  default     = 50
}

variable "db_max_allocated_storage_gb" {
  type        = number
  description = "Ceiling for RDS storage autoscaling in GiB; headroom for WAL retained by Electric's replication slot."
  default     = 500
}

variable "db_multi_az" {
  type        = bool
  description = "Run RDS with a synchronous standby in the second availability zone."
  default     = true
}

variable "db_backup_retention_days" {
  type        = number
  description = "Days of automated RDS backups (point-in-time recovery window)."
  default     = 14

  validation {
    condition     = var.db_backup_retention_days >= 1 && var.db_backup_retention_days <= 35
    error_message = "db_backup_retention_days must be between 1 and 35; 0 would disable automated backups."
  }
}

variable "db_max_slot_wal_keep_size_mb" {
  type        = number
  description = "max_slot_wal_keep_size in MB: the most WAL a stalled replication slot may pin before Postgres invalidates it (Electric then resyncs) instead of filling the disk."
  default     = 20480

  validation {
    condition     = var.db_max_slot_wal_keep_size_mb >= 1024
    error_message = "db_max_slot_wal_keep_size_mb must be at least 1024 (unlimited, -1, is what lets WAL fill the disk)."
  }
}

variable "db_name" {
  type        = string
  description = "Name of the application database."
  default     = "gradual"
}

variable "db_admin_user" {
  type        = string
  description = "RDS master user: owns the schema, runs migrations and creates the other roles."
  default     = "gradual_admin"
}

variable "db_app_user" {
  type        = string
  description = "Role Hyperdrive (the Worker) connects as; created by hand on first setup (see README)."
  default     = "gradual_app"
}

variable "db_electric_user" {
  type        = string
  description = "Role Electric connects as, with rds_replication; created by hand on first setup (see README)."
  default     = "electric"
}

# --- Electric on ECS Fargate ---------------------------------------------------------------

variable "electric_version" {
  type        = string
  description = "Tag of the electricsql/electric image. An exact release, so a redeploy never changes the sync engine underneath the app."
  default     = "1.7.12"

  validation {
    condition     = can(regex("^[0-9]+\\.[0-9]+\\.[0-9]+$", var.electric_version))
    error_message = "electric_version must be an exact release such as 1.7.12 (not latest or a floating major)."
  }
}

variable "cloudflared_version" {
  type        = string
  description = "Tag of the cloudflare/cloudflared image that runs the tunnel connector."
  default     = "2026.8.2"

  validation {
    condition     = can(regex("^[0-9]+\\.[0-9]+\\.[0-9]+$", var.cloudflared_version))
    error_message = "cloudflared_version must be an exact release such as 2026.8.2 (not latest)."
  }
}

variable "electric_cpu" {
  type        = number
  description = "Fargate CPU units for the whole task (Electric plus the cloudflared sidecar)."
  default     = 1024
}

variable "electric_memory" {
  type        = number
  description = "Fargate memory in MiB for the whole task."
  default     = 2048
}

variable "log_retention_days" {
  type        = number
  description = "Days CloudWatch keeps the Electric and cloudflared container logs."
  default     = 30
}

# --- Rollout switches (see README "Apply order") -------------------------------------------

variable "database_bootstrapped" {
  type        = bool
  description = "Set to true once the first-time SQL (roles, migrations, publication) has run. Until then the task runs only cloudflared and no Hyperdrive config exists, because both Electric and Hyperdrive fail without those roles."
  default     = false
}

variable "electric_enabled" {
  type        = bool
  description = "Run Electric. Set to false to retire it (after dropping its publication and slot, see README); cloudflared keeps running because Hyperdrive reaches RDS through it."
  default     = true
}

variable "electric_require_access" {
  type        = bool
  description = "Put a Cloudflare Access application in front of the Electric hostname, so only callers holding the Worker's service token (CF-Access-Client-Id/-Secret headers) reach it."
  default     = true
}

variable "worker_name" {
  type        = string
  description = "Worker script name, as in wrangler.toml `name`."
  default     = "gradual"
}

variable "worker_deployed" {
  type        = bool
  description = "Set to true once `wrangler deploy` has created the Worker; a custom domain can only attach to an existing script."
  default     = false
}
