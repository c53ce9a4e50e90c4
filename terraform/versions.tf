# Provider majors are pinned because each one renamed or reshaped resources we use (Cloudflare v5
# replaced the v4 tunnel/access/record resources with attribute-style `zero_trust_*` ones; AWS v6
# changed region handling). `~> X.Y` lets patch and minor fixes in, never a new major.
terraform {
  required_version = ">= 1.6.0, < 2.0.0"

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "~> 6.0"
    }
    # 5.22 is the first release whose `cloudflare_workers_custom_domain` no longer needs the
    # deprecated `environment` argument.
    cloudflare = {
      source  = "cloudflare/cloudflare"
      version = "~> 5.22"
    }
    random = {
      source  = "hashicorp/random"
      version = "~> 3.7"
    }
  }

  # The state holds every generated password and the tunnel token, so keep it in an encrypted,
  # access-controlled backend, e.g.:
  #   backend "s3" {
  #     bucket       = "<state bucket>"
  #     key          = "gradual/production.tfstate"
  #     region       = "<region>"
  #     encrypt      = true
  #     use_lockfile = true
  #   }
}

provider "aws" {
  region = var.aws_region

  default_tags {
    tags = {
      Project   = var.name_prefix
      ManagedBy = "terraform"
    }
  }
}

# Credentials come from CLOUDFLARE_API_TOKEN so no token ends up in a tfvars file.
provider "cloudflare" {}

provider "random" {}
