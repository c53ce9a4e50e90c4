# Postgres is the single source of truth (quota, auth, history), so it is private, encrypted,
# backed up and protected from an accidental `terraform destroy`.

resource "aws_security_group" "rds" {
  name        = "${var.name_prefix}-rds"
  description = "Postgres: reachable only from the Electric task (Electric and its cloudflared sidecar)"
  vpc_id      = aws_vpc.main.id

  tags = { Name = "${var.name_prefix}-rds" }
}

# The only way in. cloudflared shares the task's network interface (awsvpc), so this one rule
# covers both Electric's replication connection and the tunnel route Hyperdrive and operators
# use. RDS needs no egress rules: responses to admitted connections are always allowed.
resource "aws_vpc_security_group_ingress_rule" "rds_from_electric_task" {
  security_group_id            = aws_security_group.rds.id
  referenced_security_group_id = aws_security_group.electric_task.id
  ip_protocol                  = "tcp"
  from_port                    = 5432
  to_port                      = 5432
  description                  = "Electric and cloudflared (Hyperdrive, operators) to Postgres"
}

resource "aws_db_subnet_group" "main" {
  name       = "${var.name_prefix}-private"
  subnet_ids = aws_subnet.private[*].id
}

resource "aws_db_parameter_group" "postgres16" {
  name        = "${var.name_prefix}-postgres16"
  family      = "postgres16"
  description = "Logical replication for Electric, bounded slot WAL, TLS only"

  # Sets wal_level = logical, which Electric's replication slot needs. Static: applied at
  # creation, but a later change only takes effect after a reboot.
  parameter {
    name         = "rds.logical_replication"
    value        = "1"
    apply_method = "pending-reboot"
  }

  # A stalled or abandoned slot would otherwise pin WAL until the disk is full and Postgres
  # stops; past this size the slot is invalidated and Electric resyncs instead.
  parameter {
    name         = "max_slot_wal_keep_size"
    value        = tostring(var.db_max_slot_wal_keep_size_mb)
    apply_method = "immediate"
  }

  # The PG16 default already, stated so a parameter-group edit cannot quietly allow plaintext;
  # Hyperdrive requires TLS to the origin anyway.
  parameter {
    name         = "rds.force_ssl"
    value        = "1"
    apply_method = "immediate"
  }
}

resource "aws_db_instance" "main" {
  identifier = "${var.name_prefix}-postgres"

  engine = "postgres"
  # Major only: RDS applies minor releases in the maintenance window and the plan stays clean.
  engine_version              = "16"
  auto_minor_version_upgrade  = true
  allow_major_version_upgrade = false

  instance_class        = var.db_instance_class
  allocated_storage     = var.db_allocated_storage_gb
  max_allocated_storage = var.db_max_allocated_storage_gb
  storage_type          = "gp3"
  storage_encrypted     = true
  multi_az              = var.db_multi_az

  db_name  = var.db_name
  username = var.db_admin_user
  password = random_password.db_admin.result
  port     = 5432

  db_subnet_group_name   = aws_db_subnet_group.main.name
  vpc_security_group_ids = [aws_security_group.rds.id]
  publicly_accessible    = false
  parameter_group_name   = aws_db_parameter_group.postgres16.name

  backup_retention_period   = var.db_backup_retention_days
  backup_window             = "03:00-04:00"
  maintenance_window        = "sun:04:30-sun:05:30"
  copy_tags_to_snapshot     = true
  deletion_protection       = true
  skip_final_snapshot       = false
  final_snapshot_identifier = "${var.name_prefix}-postgres-final"

  performance_insights_enabled    = true
  enabled_cloudwatch_logs_exports = ["postgresql"]

  # Parameter and class changes wait for the maintenance window rather than restarting the
  # database in the middle of the day.
  apply_immediately = false
}
