#!/usr/bin/env python3
"""Rebuilds the JSON schemas deploy's ManifestsTest validates against, from the official sources, made small:
'description' fields dropped (most of the bytes), JSON minified; nothing else changed for Kubernetes.

  Kubernetes v1.32.2, "standalone-strict" schemas (yannh/kubernetes-json-schema, as kubeconform uses them; read from
  the mirror redacid/k8s-json-scheme @ 200801b, directory v1.32.2-standalone-strict/):
    deployment-apps-v1.json configmap-v1.json service-v1.json horizontalpodautoscaler-autoscaling-v2.json
    poddisruptionbudget-policy-v1.json
  KServe ClusterServingRuntime v1alpha1: openAPIV3Schema of kserve/kserve @ aaac4e294dae
    config/crd/full/serving.kserve.io_clusterservingruntimes.yaml, made strict the way kubeconform's
    openapi2jsonschema does: objects with 'properties' and no 'additionalProperties' or
    'x-kubernetes-preserve-unknown-fields' get additionalProperties: false.

usage: make-schemas.py K8S_SCHEMA_DIR KSERVE_CRD_YAML OUT_DIR   (needs PyYAML)
"""
import json, os, sys
import yaml

DRAFT7 = 'http://json-schema.org/draft-07/schema#'


def strip(o, strict=False):
    if isinstance(o, dict):
        r = {k: strip(v, strict) for k, v in o.items() if k != 'description'}
        if strict and 'properties' in r and 'additionalProperties' not in r and not r.get('x-kubernetes-preserve-unknown-fields'):
            r['additionalProperties'] = False
        return r
    if isinstance(o, list):
        return [strip(v, strict) for v in o]
    return o

def main(k8s, crd, out):
    for f in ['deployment-apps-v1', 'configmap-v1', 'service-v1', 'horizontalpodautoscaler-autoscaling-v2', 'poddisruptionbudget-policy-v1']:
        with open(os.path.join(k8s, f + '.json')) as i, open(os.path.join(out, f + '.json'), 'w') as o:
            schema = strip(json.load(i))
            schema['$schema'] = DRAFT7
            json.dump(schema, o, separators=(',', ':'), sort_keys=True)
    doc = yaml.safe_load(open(crd))
    v = [v for v in doc['spec']['versions'] if v['name'] == 'v1alpha1'][0]
    schema = strip(v['schema']['openAPIV3Schema'], strict=True)
    schema['properties']['apiVersion']['enum'] = ['serving.kserve.io/v1alpha1']
    schema['properties']['kind']['enum'] = ['ClusterServingRuntime']
    schema['$schema'] = DRAFT7
    with open(os.path.join(out, 'clusterservingruntime-serving-v1alpha1.json'), 'w') as o:
        json.dump(schema, o, separators=(',', ':'), sort_keys=True)

if __name__ == '__main__':
    main(*sys.argv[1:4])
