"""What GCP answers for each resource type: resource ids in the API's own shapes (projects/<p>/locations/<r>/...),
service account emails, Cloud Run URLs, and the Vertex deployment's model and deployed-model ids."""

from __future__ import annotations

from typing import Any

from stacks.mocks import Context, stable_hash


def project_number(project: str) -> str:
    """A stable 12-digit project number for a project id (the service agents' emails use it)."""
    return str(100000000000 + int(stable_hash("project-number", project, n=12), 16) % 900000000000)


def _digits(*parts: Any, n: int = 19) -> str:
    return str(int(stable_hash(*parts, n=16), 16))[:n]


def outputs(typ: str, name: str, inputs: dict[str, Any], ctx: Context) -> tuple[str, dict[str, Any]]:
    p = inputs.get("project") or ctx.gcp_project
    r = inputs.get("location") or inputs.get("region") or ctx.region
    num = project_number(p)
    if typ == "gcp:serviceaccount/account:Account":
        email = f"{inputs['accountId']}@{p}.iam.gserviceaccount.com"
        return f"projects/{p}/serviceAccounts/{email}", {
            "email": email,
            "name": f"projects/{p}/serviceAccounts/{email}",
            "member": f"serviceAccount:{email}",
            "uniqueId": _digits(email, n=21),
        }
    if (
        typ.endswith("IAMMember:IAMMember")
        or typ.endswith("IamMember:ServiceIamMember")
        or typ.endswith("IamMember:AiEndpointIamMember")
    ):
        scope = (
            inputs.get("cryptoKeyId")
            or inputs.get("bucket")
            or inputs.get("name")
            or inputs.get("endpoint")
            or p
        )
        return f"{scope}/{inputs.get('role')}/{inputs.get('member')}", {
            "etag": "BwY" + stable_hash(name, n=8)
        }
    if typ == "gcp:kms/keyRing:KeyRing":
        return f"projects/{p}/locations/{r}/keyRings/{inputs['name']}", {"name": inputs["name"]}
    if typ == "gcp:kms/cryptoKey:CryptoKey":
        kid = f"{inputs['keyRing']}/cryptoKeys/{inputs['name']}"
        return kid, {
            "name": inputs["name"],
            "primaries": [{"name": f"{kid}/cryptoKeyVersions/1", "state": "ENABLED"}],
        }
    if typ == "gcp:storage/bucket:Bucket":
        b = inputs.get("name") or f"{name}-{stable_hash(name)}"
        return b, {
            "name": b,
            "url": f"gs://{b}",
            "selfLink": f"https://www.googleapis.com/storage/v1/b/{b}",
            "projectNumber": num,
        }
    if typ == "gcp:storage/bucketObject:BucketObject":
        obj = inputs["name"]
        return f"{inputs['bucket']}-{obj}", {
            "mediaLink": f"https://storage.googleapis.com/download/storage/v1/b/{inputs['bucket']}/o/{obj}",
            "generation": int(_digits(obj, n=16)),
            "md5hash": stable_hash(obj, n=22),
            "outputName": obj,
        }
    if typ == "gcp:vertex/aiEndpoint:AiEndpoint":
        eid = inputs.get("name") or _digits(name, n=10)
        return f"projects/{p}/locations/{r}/endpoints/{eid}", {
            "name": eid,
            "deployedModels": [],
            "etag": stable_hash(eid, n=16),
        }
    if typ == "gcp:bigquery/dataset:Dataset":
        return f"projects/{p}/datasets/{inputs['datasetId']}", {
            "selfLink": f"https://bigquery.googleapis.com/bigquery/v2/projects/{p}/datasets/{inputs['datasetId']}"
        }
    if typ == "gcp:cloudrunv2/service:Service":
        n = inputs.get("name") or name
        return f"projects/{p}/locations/{r}/services/{n}", {
            "name": n,
            "uri": f"https://{n}-{num}.{r}.run.app",
            "urls": [f"https://{n}-{num}.{r}.run.app"],
            "latestReadyRevision": f"{n}-00001-{stable_hash(inputs.get('template'), n=3)}",
        }
    if typ == "gcp:monitoring/notificationChannel:NotificationChannel":
        cid = f"projects/{p}/notificationChannels/{_digits(name, inputs.get('labels'))}"
        return cid, {"name": cid}
    if typ == "gcp:monitoring/alertPolicy:AlertPolicy":
        aid = f"projects/{p}/alertPolicies/{_digits(name, inputs.get('displayName'))}"
        return aid, {"name": aid}
    if typ == "gcp:monitoring/dashboard:Dashboard":
        seed = (name, inputs.get("dashboardJson"))
        did = f"projects/{num}/dashboards/{stable_hash(*seed, n=8)}-{stable_hash(*seed, 'd', n=4)}-{stable_hash(*seed, 'e', n=4)}-{stable_hash(*seed, 'f', n=12)}"
        return did, {}
    if typ.startswith("pulumi-python:dynamic") and "deployedModelDisplayName" in inputs:
        # The Vertex deployment: the Model Registry id of the upload and the deployed model's id.
        model = f"projects/{num}/locations/{inputs.get('region', r)}/models/{_digits('model', (inputs.get('model') or {}).get('digest'), n=19)}"
        dm = _digits("deployed", inputs.get("deployedModelDisplayName"), n=19)
        return f"{inputs['endpoint']}#{(inputs.get('model') or {}).get('displayName')}", {
            "modelName": model,
            "deployedModelId": dm,
            "trafficSplit": {dm: 100},
        }
    return f"{name}-id", {}


def call(token: str, args: dict[str, Any], ctx: Context) -> dict[str, Any]:
    if token == "gcp:organizations/getProject:getProject":
        p = args.get("projectId") or ctx.gcp_project
        return {"projectId": p, "number": project_number(p), "name": p, "id": f"projects/{p}"}
    if token == "gcp:storage/getProjectServiceAccount:getProjectServiceAccount":
        p = args.get("project") or ctx.gcp_project
        email = f"service-{project_number(p)}@gs-project-accounts.iam.gserviceaccount.com"
        return {"emailAddress": email, "member": f"serviceAccount:{email}", "id": email, "project": p}
    return {}
