# Electric on ECS Fargate, with a cloudflared sidecar in the same task. Nothing here accepts a
# connection from outside: cloudflared dials out to Cloudflare and relays the tunnel's traffic to
# Electric on localhost and to RDS inside the VPC. No load balancer, no public IP, no ingress.

data "aws_partition" "current" {}

locals {
  electric_running = var.database_bootstrapped && var.electric_enabled

  electric_image    = "electricsql/electric:${var.electric_version}"
  cloudflared_image = "cloudflare/cloudflared:${var.cloudflared_version}"

  electric_port         = 3000
  electric_storage_path = "/var/lib/electric/persistent"
  # Bound to loopback: only the container health check reads it.
  cloudflared_metrics = "127.0.0.1:20241"

  cloudflared_container = {
    name      = "cloudflared"
    image     = local.cloudflared_image
    essential = true
    # The image's entrypoint is `cloudflared --no-autoupdate`; an auto-update would swap the
    # pinned binary inside a running task.
    command = ["tunnel", "--metrics", local.cloudflared_metrics, "run"]
    secrets = [
      { name = "TUNNEL_TOKEN", valueFrom = aws_secretsmanager_secret.tunnel_token.arn },
    ]
    # The image is distroless (no shell, no curl); cloudflared's own `ready` subcommand asks the
    # metrics server whether the connector has a live connection to the edge.
    healthCheck = {
      command     = ["CMD", "cloudflared", "tunnel", "--metrics", local.cloudflared_metrics, "ready"]
      interval    = 15
      timeout     = 5
      retries     = 3
      startPeriod = 30
    }
    logConfiguration = {
      logDriver = "awslogs"
      options = {
        "awslogs-group"         = aws_cloudwatch_log_group.electric.name
        "awslogs-region"        = var.aws_region
        "awslogs-stream-prefix" = "cloudflared"
      }
    }
  }

  electric_container = {
    name      = "electric"
    image     = local.electric_image
    essential = true
    environment = [
      { name = "ELECTRIC_PORT", value = tostring(local.electric_port) },
      # Shape logs must survive task replacement, or every client resyncs after each deploy.
      { name = "ELECTRIC_STORAGE_DIR", value = local.electric_storage_path },
      # SQLite's default WAL mode relies on shared-memory locks that NFS/EFS does not provide;
      # Electric's docs require exclusive mode on network filesystems.
      { name = "ELECTRIC_SHAPE_DB_EXCLUSIVE_MODE", value = "true" },
      # Migrations (run as the admin role) keep owning the tables; the publication is created by
      # hand (README), so Electric needs only REPLICATION and SELECT.
      { name = "ELECTRIC_MANUAL_TABLE_PUBLISHING", value = "true" },
    ]
    secrets = [
      { name = "DATABASE_URL", valueFrom = "${aws_secretsmanager_secret.db["electric"].arn}:url::" },
      { name = "ELECTRIC_SECRET", valueFrom = aws_secretsmanager_secret.electric_secret.arn },
    ]
    mountPoints = [
      { sourceVolume = "electric-storage", containerPath = local.electric_storage_path, readOnly = false },
    ]
    # /v1/health answers 200 when active and 202 while starting or waiting for the replication
    # lock during a rolling deploy; `curl -f` accepts both and fails only on errors.
    healthCheck = {
      command     = ["CMD-SHELL", "curl -sf http://localhost:${local.electric_port}/v1/health || exit 1"]
      interval    = 10
      timeout     = 5
      retries     = 3
      startPeriod = 60
    }
    # Time to release the replication lock cleanly so the next task takes over quickly.
    stopTimeout = 60
    logConfiguration = {
      logDriver = "awslogs"
      options = {
        "awslogs-group"         = aws_cloudwatch_log_group.electric.name
        "awslogs-region"        = var.aws_region
        "awslogs-stream-prefix" = "electric"
      }
    }
  }

  task_containers = concat(
    [local.cloudflared_container],
    local.electric_running ? [local.electric_container] : [],
  )
}

# --- Security groups -----------------------------------------------------------------------

# Shared by Electric and cloudflared (one network interface per task). No ingress rules at all:
# the tunnel is an outbound connection, and cloudflared reaches Electric over localhost.
resource "aws_security_group" "electric_task" {
  name        = "${var.name_prefix}-electric-task"
  description = "Electric and its cloudflared sidecar: outbound only"
  vpc_id      = aws_vpc.main.id

  tags = { Name = "${var.name_prefix}-electric-task" }
}

# Outbound to the Cloudflare edge (7844 TCP/UDP, 443), Docker Hub, AWS APIs, RDS and EFS.
resource "aws_vpc_security_group_egress_rule" "electric_task_all" {
  security_group_id = aws_security_group.electric_task.id
  ip_protocol       = "-1"
  cidr_ipv4         = "0.0.0.0/0"
  description       = "Tunnel to Cloudflare, image pulls, AWS APIs, RDS, EFS"
}

resource "aws_security_group" "efs" {
  name        = "${var.name_prefix}-electric-efs"
  description = "Electric's storage: NFS from the Electric task only"
  vpc_id      = aws_vpc.main.id

  tags = { Name = "${var.name_prefix}-electric-efs" }
}

resource "aws_vpc_security_group_ingress_rule" "efs_from_electric_task" {
  security_group_id            = aws_security_group.efs.id
  referenced_security_group_id = aws_security_group.electric_task.id
  ip_protocol                  = "tcp"
  from_port                    = 2049
  to_port                      = 2049
  description                  = "NFS from the Electric task"
}

# --- Persistent storage (EFS) ---------------------------------------------------------------

# EFS is network storage and slower than local NVMe (see README); it is used because Fargate has
# no other disk that outlives a task, and a shared directory lets a rolling deploy hand over
# without every client refetching its shapes. No backups: Electric rebuilds the cache from
# Postgres.
resource "aws_efs_file_system" "electric" {
  creation_token   = "${var.name_prefix}-electric"
  encrypted        = true
  performance_mode = "generalPurpose"
  throughput_mode  = "elastic"

  tags = { Name = "${var.name_prefix}-electric" }
}

resource "aws_efs_mount_target" "electric" {
  count = length(aws_subnet.private)

  file_system_id  = aws_efs_file_system.electric.id
  subnet_id       = aws_subnet.private[count.index].id
  security_groups = [aws_security_group.efs.id]
}

# The access point pins every file operation to one owner, whatever user a future image runs
# as (today's runs as root), and confines the task to its own directory of the file system.
resource "aws_efs_access_point" "electric" {
  file_system_id = aws_efs_file_system.electric.id

  posix_user {
    uid = 1000
    gid = 1000
  }

  root_directory {
    path = "/electric"
    creation_info {
      owner_uid   = 1000
      owner_gid   = 1000
      permissions = "0750"
    }
  }

  tags = { Name = "${var.name_prefix}-electric" }
}

# --- IAM -----------------------------------------------------------------------------------

data "aws_iam_policy_document" "ecs_tasks_assume" {
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["ecs-tasks.amazonaws.com"]
    }
  }
}

# Used by the ECS agent, before the containers start: pull images, write logs, read secrets.
resource "aws_iam_role" "electric_execution" {
  name               = "${var.name_prefix}-electric-execution"
  assume_role_policy = data.aws_iam_policy_document.ecs_tasks_assume.json
}

resource "aws_iam_role_policy_attachment" "electric_execution" {
  role       = aws_iam_role.electric_execution.name
  policy_arn = "arn:${data.aws_partition.current.partition}:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy"
}

# Exactly the secrets the task injects; the admin and app credentials stay out of its reach.
data "aws_iam_policy_document" "electric_secrets" {
  statement {
    actions = ["secretsmanager:GetSecretValue"]
    resources = [
      aws_secretsmanager_secret.db["electric"].arn,
      aws_secretsmanager_secret.electric_secret.arn,
      aws_secretsmanager_secret.tunnel_token.arn,
    ]
  }
}

resource "aws_iam_role_policy" "electric_execution_secrets" {
  name   = "read-electric-secrets"
  role   = aws_iam_role.electric_execution.id
  policy = data.aws_iam_policy_document.electric_secrets.json
}

# Used by the running containers: only the EFS mount, and only through the access point.
resource "aws_iam_role" "electric_task" {
  name               = "${var.name_prefix}-electric-task"
  assume_role_policy = data.aws_iam_policy_document.ecs_tasks_assume.json
}

data "aws_iam_policy_document" "electric_efs" {
  statement {
    actions   = ["elasticfilesystem:ClientMount", "elasticfilesystem:ClientWrite"]
    resources = [aws_efs_file_system.electric.arn]
    condition {
      test     = "StringEquals"
      variable = "elasticfilesystem:AccessPointArn"
      values   = [aws_efs_access_point.electric.arn]
    }
  }
}

resource "aws_iam_role_policy" "electric_task_efs" {
  name   = "mount-electric-storage"
  role   = aws_iam_role.electric_task.id
  policy = data.aws_iam_policy_document.electric_efs.json
}

# --- Logs, cluster, task, service -----------------------------------------------------------

resource "aws_cloudwatch_log_group" "electric" {
  name              = "/ecs/${var.name_prefix}-electric"
  retention_in_days = var.log_retention_days
}

resource "aws_ecs_cluster" "main" {
  name = var.name_prefix

  setting {
    name  = "containerInsights"
    value = "enabled"
  }
}

resource "aws_ecs_task_definition" "electric" {
  family                   = "${var.name_prefix}-electric"
  requires_compatibilities = ["FARGATE"]
  network_mode             = "awsvpc"
  cpu                      = var.electric_cpu
  memory                   = var.electric_memory
  execution_role_arn       = aws_iam_role.electric_execution.arn
  task_role_arn            = aws_iam_role.electric_task.arn

  runtime_platform {
    operating_system_family = "LINUX"
    cpu_architecture        = "X86_64"
  }

  container_definitions = jsonencode(local.task_containers)

  volume {
    name = "electric-storage"

    efs_volume_configuration {
      file_system_id     = aws_efs_file_system.electric.id
      transit_encryption = "ENABLED"

      authorization_config {
        access_point_id = aws_efs_access_point.electric.id
        iam             = "ENABLED"
      }
    }
  }
}

resource "aws_ecs_service" "electric" {
  name             = "${var.name_prefix}-electric"
  cluster          = aws_ecs_cluster.main.id
  task_definition  = aws_ecs_task_definition.electric.arn
  launch_type      = "FARGATE"
  platform_version = "LATEST"

  # One active Electric per replication slot (it takes an advisory lock). During a deploy the new
  # task starts beside the old one, serves existing shapes read-only from the shared EFS
  # directory, and takes over when the old task stops; the tunnel keeps a live connector
  # throughout, so Hyperdrive's path to RDS is never cut by a deploy.
  desired_count                      = 1
  deployment_minimum_healthy_percent = 100
  deployment_maximum_percent         = 200

  deployment_circuit_breaker {
    enable   = true
    rollback = true
  }

  network_configuration {
    subnets          = aws_subnet.private[*].id
    security_groups  = [aws_security_group.electric_task.id]
    assign_public_ip = false
  }

  propagate_tags = "SERVICE"
  # Hyperdrive is created after this and checks the connection on creation, so the tunnel must
  # be up by the time apply moves on.
  wait_for_steady_state = true

  depends_on = [
    # Routes first, so the connector serves them the moment it comes up.
    cloudflare_zero_trust_tunnel_cloudflared_config.main,
    aws_efs_mount_target.electric,
    aws_iam_role_policy.electric_execution_secrets,
    aws_iam_role_policy.electric_task_efs,
    aws_secretsmanager_secret_version.db,
    aws_secretsmanager_secret_version.electric_secret,
    aws_secretsmanager_secret_version.tunnel_token,
  ]
}
