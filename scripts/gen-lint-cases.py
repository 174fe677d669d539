#!/usr/bin/env python3
"""Writes testdata/lint/: small broken charts, each with expect.yaml naming exactly the
findings (rule, file, line) lint must report. Lines are found from the text written, not from
lint. Run from the repository root: scripts/gen-lint-cases.py"""
import os, textwrap
ROOT='testdata/lint'
CHART='''apiVersion: v2
name: {name}
description: A lint test case
version: 0.1.0
icon: https://example.com/icon.png
'''
def case(name, files, expect, chart=None, values='{}\n', args=None, exit_code=None, note=''):
    d=os.path.join(ROOT,name)
    os.makedirs(d, exist_ok=True)
    allf={'Chart.yaml': chart if chart is not None else CHART.format(name=name), 'values.yaml': values}
    allf.update(files)
    if not any(p.startswith('templates/') for p in allf):
        # helm lint warns about a chart without templates/.
        allf['templates/cm.yaml'] = 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\ndata: {}\n'
    for p,t in allf.items():
        if t is None: continue
        fp=os.path.join(d,p); os.makedirs(os.path.dirname(fp), exist_ok=True)
        open(fp,'w').write(t)
    lines=[]
    if note: lines.append('# '+note)
    if args: lines.append('args: ['+', '.join('"%s"'%a for a in args)+']')
    if exit_code is not None: lines.append('exit: %d'%exit_code)
    lines.append('findings:' + (' []' if not expect else ''))
    for e in expect:
        rule,file,line=e[:3]
        s='  - {rule: %s, file: %s, line: %d'%(rule,file,line)
        if len(e)>3: s+=', scenario: %s'%e[3]
        lines.append(s+'}')
    open(os.path.join(d,'expect.yaml'),'w').write('\n'.join(lines)+'\n')

NETPOL='''
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: all
spec:
  podSelector: {}
'''
def deploy(replicas=1, pod_sc='      securityContext:\n        runAsNonRoot: true\n', csc=None, image='nginx:1.27', res=None, probes=None, extra_pod='', extra_c='', name='web'):
    csc = csc if csc is not None else '          securityContext:\n            allowPrivilegeEscalation: false\n            readOnlyRootFilesystem: true\n'
    res = res if res is not None else '          resources:\n            requests:\n              cpu: 100m\n              memory: 64Mi\n            limits:\n              memory: 128Mi\n'
    probes = probes if probes is not None else '          livenessProbe:\n            httpGet:\n              path: /healthz\n              port: 8080\n          readinessProbe:\n            httpGet:\n              path: /ready\n              port: 8080\n'
    return ('apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: %s\nspec:\n  replicas: %d\n  selector:\n    matchLabels:\n      app: %s\n  template:\n    metadata:\n      labels:\n        app: %s\n    spec:\n' % (name, replicas, name, name)
            + pod_sc + extra_pod + '      containers:\n        - name: web\n          image: %s\n' % image + csc + res + probes + extra_c)

def lineof(text, needle, nth=1):
    c=0
    for i,l in enumerate(text.split('\n')):
        if needle in l:
            c+=1
            if c==nth: return i+1
    raise SystemExit('needle not found: '+needle)

def wl(name, text, rule, needle, **kw):
    case(name, {'templates/deployment.yaml': text, 'templates/netpol.yaml': NETPOL}, [(rule,'templates/deployment.yaml',lineof(text,needle))], **kw)

# ---- a clean baseline
case('clean-workload', {'templates/deployment.yaml': deploy(), 'templates/netpol.yaml': NETPOL}, [], note='a hardened Deployment: no finding at all')

# ---- helm lint chart rules
c=CHART.format(name='chart-semverv2').replace('version: 0.1.0','version: "1.0"')
case('chart-version-not-semverv2', {}, [('chart-yaml','Chart.yaml',4)], chart=c)
c=CHART.format(name='chart-appversion-type')+'appVersion: 1.5\n'
case('chart-appversion-type', {}, [('chart-yaml','Chart.yaml',6)], chart=c)
c=CHART.format(name='chart-icon-url').replace('https://example.com/icon.png','not a url')
case('chart-icon-url', {}, [('chart-yaml','Chart.yaml',5)], chart=c)
c=CHART.format(name='chart-maintainer-name')+'maintainers:\n  - email: dev@example.com\n'
case('chart-maintainer-name', {}, [('chart-yaml','Chart.yaml',6)], chart=c)
c=CHART.format(name='chart-unknown-field')+'homepage: https://example.com\n'
case('chart-unknown-field', {}, [('chart-yaml','Chart.yaml',6)], chart=c)
c=CHART.format(name='chart-type-v1').replace('apiVersion: v2','apiVersion: v1')+'type: application\n'
case('chart-type-v1', {}, [('chart-yaml','Chart.yaml',6)], chart=c)
case('values-schema', {'values.schema.json': '{"type":"object","properties":{"replicas":{"type":"integer"}}}\n',
     'templates/cm.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\ndata:\n  r: {{ .Values.replicas | quote }}\n'},
     [('values','values.yaml',0),('template-render','templates/',0)], values='replicas: two\n', exit_code=2,
     note='the values break values.schema.json: helm reports it under values.yaml and the render stops')
case('template-extension', {'templates/readme.md': '# not a template\n'}, [('template-extension','templates/readme.md',0)])
case('template-indent', {'templates/cm.yaml': '  apiVersion: v1\n  kind: ConfigMap\n  metadata:\n    name: c\n'}, [('template-indent','templates/cm.yaml',1)])
case('template-yaml', {'templates/cm.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\ndata:\n  a: b\n   c: d\n'}, [('template-yaml','templates/cm.yaml',7)])
case('template-render', {'templates/cm.yaml': '{{ include "missing" . }}\n'}, [('template-render','templates/',0)], exit_code=2)
case('object-name', {'templates/cm.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: Bad_Name\ndata: {}\n'}, [('object-name','templates/cm.yaml',4)])
t=deploy().replace('  selector:\n    matchLabels:\n      app: web\n','')
case('workload-selector', {'templates/deployment.yaml': t, 'templates/netpol.yaml': NETPOL},
     [('workload-selector','templates/deployment.yaml',5),('schema-required','templates/deployment.yaml',5)],
     note='no spec.selector: helm lint error, and the Kubernetes schema requires it')
case('dependencies-undeclared', {'charts/sub/Chart.yaml': CHART.format(name='sub'), 'charts/sub/values.yaml': '{}\n'}, [('dependencies','Chart.yaml',0)])
case('crds-wrong-kind', {'crds/cm.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\n'}, [('crds','crds/cm.yaml',2),('crds','crds/cm.yaml',2)])
case('list-annotations', {'templates/list.yaml': 'apiVersion: v1\nkind: List\nitems:\n  - apiVersion: v1\n    kind: ConfigMap\n    metadata:\n      name: c\n      annotations:\n        helm.sh/resource-policy: keep\n'},
     [('list-annotations','templates/list.yaml',4),('object-name','templates/list.yaml',1)],
     note='helm lint also checks the (absent) name of the List itself; its items are validated one by one')

# ---- schema
wl('schema-unknown-field', deploy(extra_c='          imagePullPolcy: Always\n'), 'schema-unknown-field', 'imagePullPolcy')
case('schema-wrong-type', {'templates/cm.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\ndata:\n  host: db\n  port: 5432\n'}, [('schema-wrong-type','templates/cm.yaml',7)])
case('schema-yaml11-bool', {'templates/cm.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\ndata:\n  enabled: yes\n'}, [('schema-wrong-type','templates/cm.yaml',6)],
     note='YAML 1.1 (what helm and kubectl read): yes is a boolean, and ConfigMap data must be strings')
case('schema-required', {'templates/svc.yaml': 'apiVersion: v1\nkind: Service\nmetadata:\n  name: s\nspec:\n  ports:\n    - name: http\n      targetPort: 8080\n'}, [('schema-required','templates/svc.yaml',7)])
t=deploy().replace('      containers:\n','      containers: null\n      initContainers:\n',1)
t=deploy().replace('      containers:\n        - name: web','      containers: null\n      initContainers:\n        - name: web')
case('schema-null-required', {'templates/deployment.yaml': t, 'templates/netpol.yaml': NETPOL}, [('schema-required','templates/deployment.yaml',lineof(t,'    spec:'))],
     note='containers: null is no container list (the API server reads null as absent); kubernetes-validate accepts a null required field')
case('schema-duplicate-key', {'templates/cm.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\ndata:\n  a: "1"\n  b: "2"\n  a: "3"\n'}, [('schema-duplicate-key','templates/cm.yaml',8)])
wl('schema-quantity', deploy(res='          resources:\n            requests:\n              cpu: 100m\n              memory: 64MB\n            limits:\n              memory: 128Mi\n'), 'schema-invalid-value', 'memory: 64MB',
   note='64MB is no Kubernetes quantity (64M or 64Mi are); kubernetes-validate accepts any string here')
case('schema-base64', {'templates/secret.yaml': 'apiVersion: v1\nkind: Secret\nmetadata:\n  name: s\ndata:\n  password: hunter2!\n'}, [('schema-invalid-value','templates/secret.yaml',6)],
     note='Secret data must be base64; kubernetes-validate does not check the byte format')
case('schema-int32', {'templates/deployment.yaml': deploy().replace('replicas: 1','replicas: 3000000000'), 'templates/netpol.yaml': NETPOL},
     [('schema-invalid-value','templates/deployment.yaml',6),('pdb','templates/deployment.yaml',6),('anti-affinity','templates/deployment.yaml',6)],
     note='replicas is an int32; kubernetes-validate does not check the int32 range')
case('schema-date-time', {'templates/job.yaml': 'apiVersion: v1\nkind: Event\nmetadata:\n  name: e\ninvolvedObject:\n  kind: Pod\n  name: p\nfirstTimestamp: yesterday\n'}, [('schema-invalid-value','templates/job.yaml',8)])
CRD='''apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: widgets.example.com
spec:
  group: example.com
  names:
    kind: Widget
    plural: widgets
  scope: Namespaced
  versions:
    - name: v1
      served: true
      storage: true
      schema:
        openAPIV3Schema:
          type: object
          properties:
            spec:
              type: object
              required: [size]
              properties:
                size:
                  type: integer
                  minimum: 1
                color:
                  type: string
                  enum: [red, blue]
                extra:
                  type: object
                  x-kubernetes-preserve-unknown-fields: true
'''
def cr(body): return 'apiVersion: example.com/v1\nkind: Widget\nmetadata:\n  name: w\nspec:\n'+body
case('crd-unknown-field', {'crds/widget.yaml': CRD, 'templates/widget.yaml': cr('  size: 2\n  colour: red\n')}, [('schema-unknown-field','templates/widget.yaml',7)])
case('crd-wrong-type', {'crds/widget.yaml': CRD, 'templates/widget.yaml': cr('  size: "2"\n')}, [('schema-wrong-type','templates/widget.yaml',6)])
case('crd-enum', {'crds/widget.yaml': CRD, 'templates/widget.yaml': cr('  size: 2\n  color: green\n')}, [('schema-invalid-value','templates/widget.yaml',7)])
case('crd-minimum', {'crds/widget.yaml': CRD, 'templates/widget.yaml': cr('  size: 0\n')}, [('schema-invalid-value','templates/widget.yaml',6)])
case('crd-in-templates', {'templates/crd.yaml': CRD, 'templates/widget.yaml': cr('  color: red\n  extra:\n    anything: goes\n')}, [('schema-required','templates/widget.yaml',5)],
     note='a CRD rendered from templates validates custom resources too; preserve-unknown-fields keeps extra open')
case('crd-version-not-served', {'crds/widget.yaml': CRD, 'templates/widget.yaml': cr('  size: 2\n').replace('example.com/v1','example.com/v2')}, [('schema-invalid-value','templates/widget.yaml',1)])
case('schema-unavailable', {'templates/gadget.yaml': 'apiVersion: example.com/v1\nkind: Gadget\nmetadata:\n  name: g\n'}, [('schema-unavailable','templates/gadget.yaml',1)])

# ---- API lifecycle
case('api-removed', {'templates/psp.yaml': 'apiVersion: policy/v1beta1\nkind: PodSecurityPolicy\nmetadata:\n  name: p\nspec: {}\n'},
     [('api-removed','templates/psp.yaml',1),('stable-api','templates/psp.yaml',1)])
FS='apiVersion: flowcontrol.apiserver.k8s.io/v1beta3\nkind: FlowSchema\nmetadata:\n  name: f\nspec:\n  priorityLevelConfiguration:\n    name: global-default\n'
case('api-deprecated', {'templates/fs.yaml': FS}, [('api-deprecated','templates/fs.yaml',1),('stable-api','templates/fs.yaml',1)], args=['--kube-version','1.29'])
case('api-deprecated-then-removed', {'templates/fs.yaml': FS}, [('api-deprecated','templates/fs.yaml',1),('api-removed','templates/fs.yaml',1),('stable-api','templates/fs.yaml',1)], args=['--kube-version','1.30-1.33'])
case('api-not-yet-available', {'templates/dc.yaml': 'apiVersion: resource.k8s.io/v1\nkind: DeviceClass\nmetadata:\n  name: gpu\nspec: {}\n'}, [('api-not-yet-available','templates/dc.yaml',1)], args=['--kube-version','1.30'])
c=CHART.format(name='api-kubeversion-constraint')+'kubeVersion: ">=1.34.0-0"\n'
case('api-kubeversion-constraint', {'templates/dc.yaml': 'apiVersion: resource.k8s.io/v1\nkind: DeviceClass\nmetadata:\n  name: gpu\nspec: {}\n'}, [], chart=c,
     note="Chart.yaml's kubeVersion limits the target versions to those serving resource.k8s.io/v1")

# ---- policies
wl('policy-resources', deploy(res='          resources:\n            requests:\n              cpu: 100m\n              memory: 64Mi\n'), 'resources', '          resources:')
wl('policy-probes', deploy(probes='          livenessProbe:\n            httpGet:\n              path: /healthz\n              port: 8080\n'), 'probes', '- name: web')
wl('policy-probes-distinct', deploy(probes='          livenessProbe:\n            httpGet:\n              path: /healthz\n              port: 8080\n          readinessProbe:\n            httpGet:\n              path: /healthz\n              port: 8080\n'), 'probes-distinct', 'readinessProbe')
wl('policy-image-tag', deploy(image='nginx:latest'), 'image-tag', 'image:')
wl('policy-run-as-non-root', deploy(pod_sc=''), 'run-as-non-root', '          securityContext:')
wl('policy-read-only-root-fs', deploy(csc='          securityContext:\n            allowPrivilegeEscalation: false\n            readOnlyRootFilesystem: false\n'), 'read-only-root-fs', '          securityContext:')
t=deploy(csc='          securityContext:\n            allowPrivilegeEscalation: false\n            readOnlyRootFilesystem: true\n            privileged: true\n')
wl('policy-privileged', t, 'privileged', 'privileged: true')
wl('policy-privilege-escalation', deploy(csc='          securityContext:\n            readOnlyRootFilesystem: true\n'), 'privilege-escalation', '          securityContext:')
wl('policy-host-namespaces', deploy(extra_pod='      hostNetwork: true\n'), 'host-namespaces', 'hostNetwork')
wl('policy-docker-socket', deploy(extra_pod='      volumes:\n        - name: sock\n          hostPath:\n            path: /var/run/docker.sock\n'), 'docker-socket', 'path: /var/run/docker.sock')
SPREAD='      topologySpreadConstraints:\n        - maxSkew: 1\n          topologyKey: kubernetes.io/hostname\n          whenUnsatisfiable: ScheduleAnyway\n          labelSelector:\n            matchLabels:\n              app: web\n'
PDB='apiVersion: policy/v1\nkind: PodDisruptionBudget\nmetadata:\n  name: web\nspec:\n  maxUnavailable: 1\n  selector:\n    matchLabels:\n      app: web\n'
t=deploy(replicas=3, extra_pod=SPREAD)
case('policy-pdb', {'templates/deployment.yaml': t, 'templates/netpol.yaml': NETPOL}, [('pdb','templates/deployment.yaml',6)])
t=deploy(replicas=3)
case('policy-anti-affinity', {'templates/deployment.yaml': t, 'templates/pdb.yaml': PDB, 'templates/netpol.yaml': NETPOL}, [('anti-affinity','templates/deployment.yaml',6)])
case('policy-network-policy', {'templates/deployment.yaml': deploy()}, [('network-policy','templates/deployment.yaml',2)])
case('policy-stable-api', {'templates/vac.yaml': 'apiVersion: storage.k8s.io/v1beta1\nkind: VolumeAttributesClass\nmetadata:\n  name: fast\ndriverName: csi.example.com\n'}, [('stable-api','templates/vac.yaml',1)], args=['--kube-version','1.31'])

# ---- references
CM='apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: app\ndata: {}\n'
case('duplicate-object', {'templates/a.yaml': CM, 'templates/b.yaml': CM}, [('duplicate-object','templates/b.yaml',4)])
VOL=lambda kind: {'configmap':'      volumes:\n        - name: cfg\n          configMap:\n            name: app-config\n',
                  'pvc':'      volumes:\n        - name: data\n          persistentVolumeClaim:\n            claimName: app-data\n'}[kind]
wl('dangling-configmap', deploy(extra_pod=VOL('configmap')), 'dangling-reference', 'name: app-config')
wl('dangling-pvc', deploy(extra_pod=VOL('pvc')), 'dangling-reference', 'claimName')
SECRET_ENV='          env:\n            - name: DB_PASSWORD\n              valueFrom:\n                secretKeyRef:\n                  name: db\n                  key: password\n'
wl('dangling-secret', deploy(extra_c=SECRET_ENV), 'dangling-reference', 'name: db')
wl('dangling-serviceaccount', deploy(extra_pod='      serviceAccountName: app\n'), 'dangling-reference', 'serviceAccountName')
wl('dangling-priorityclass', deploy(extra_pod='      priorityClassName: high\n'), 'dangling-reference', 'priorityClassName')
case('dangling-declared-external', {'templates/deployment.yaml': deploy(extra_c=SECRET_ENV), 'templates/netpol.yaml': NETPOL,
      '.charttest.yaml': 'lint:\n  external:\n    secrets: [db]\n'}, [], note='the Secret is declared external in .charttest.yaml')
case('dangling-optional', {'templates/deployment.yaml': deploy(extra_c=SECRET_ENV.replace('key: password','key: password\n                  optional: true')), 'templates/netpol.yaml': NETPOL}, [], note='an optional reference may dangle')
SVC=lambda sel, port=80: 'apiVersion: v1\nkind: Service\nmetadata:\n  name: web\nspec:\n  selector:\n    app: %s\n  ports:\n    - name: http\n      port: %d\n      targetPort: 8080\n' % (sel, port)
case('service-selector', {'templates/deployment.yaml': deploy(), 'templates/netpol.yaml': NETPOL, 'templates/svc.yaml': SVC('api')}, [('service-selector','templates/svc.yaml',6)])
ING=lambda svc, port: 'apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata:\n  name: web\nspec:\n  rules:\n    - host: example.com\n      http:\n        paths:\n          - path: /\n            pathType: Prefix\n            backend:\n              service:\n                name: %s\n                port:\n                  number: %d\n' % (svc, port)
case('ingress-backend-service', {'templates/deployment.yaml': deploy(), 'templates/netpol.yaml': NETPOL, 'templates/svc.yaml': SVC('web'), 'templates/ing.yaml': ING('webb', 80)}, [('ingress-backend','templates/ing.yaml',14)])
case('ingress-backend-port', {'templates/deployment.yaml': deploy(), 'templates/netpol.yaml': NETPOL, 'templates/svc.yaml': SVC('web'), 'templates/ing.yaml': ING('web', 8080)}, [('ingress-backend','templates/ing.yaml',14)])
HPA='apiVersion: autoscaling/v2\nkind: HorizontalPodAutoscaler\nmetadata:\n  name: web\nspec:\n  scaleTargetRef:\n    apiVersion: apps/v1\n    kind: Deployment\n    name: webb\n  minReplicas: 1\n  maxReplicas: 3\n'
case('hpa-target', {'templates/deployment.yaml': deploy(), 'templates/netpol.yaml': NETPOL, 'templates/hpa.yaml': HPA}, [('hpa-target','templates/hpa.yaml',9)])
case('pdb-target', {'templates/deployment.yaml': deploy(), 'templates/netpol.yaml': NETPOL, 'templates/pdb.yaml': PDB.replace('app: web','app: api')}, [('pdb-target','templates/pdb.yaml',7)])

# ---- config and suppression
case('config-disable', {'templates/deployment.yaml': deploy(image='nginx'), 'templates/netpol.yaml': NETPOL, '.charttest.yaml': 'lint:\n  disable: [image-tag]\n'}, [], note='image-tag is disabled in .charttest.yaml')
case('config-suppress', {'templates/deployment.yaml': deploy(image='nginx'), 'templates/netpol.yaml': NETPOL, '.charttest.yaml': 'lint:\n  suppress:\n    - rule: image-tag\n      kind: Deployment\n      name: "w*"\n      reason: pinned by digest at deploy time\n'}, [])
t=deploy(image='nginx').replace('metadata:\n  name: web\n','metadata:\n  name: web\n  annotations:\n    posthog-charttest/ignore: image-tag\n',1)
case('annotation-suppress', {'templates/deployment.yaml': t, 'templates/netpol.yaml': NETPOL}, [], note='the posthog-charttest/ignore annotation silences image-tag for this object')
c_sev={'templates/deployment.yaml': deploy(image='nginx'), 'templates/netpol.yaml': NETPOL, '.charttest.yaml': 'lint:\n  severity:\n    image-tag: error\n'}
case('config-severity', c_sev, [('image-tag','templates/deployment.yaml',lineof(deploy(image='nginx'),'image:'))], exit_code=1)
case('strict-warning', {'templates/deployment.yaml': deploy(image='nginx'), 'templates/netpol.yaml': NETPOL}, [('image-tag','templates/deployment.yaml',lineof(deploy(image='nginx'),'image:'))], args=['--strict'], exit_code=1)

# ---- values scenarios
tpl='apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\ndata:\n  port: {{ .Values.port }}\n'
case('scenario-matrix', {'templates/cm.yaml': tpl, 'ci/quoted-values.yaml': 'port: "\\"5432\\""\n', 'ci/number-values.yaml': 'port: 5432\n'},
     [('schema-wrong-type','templates/cm.yaml',6,'number')], values='port: \'"80"\'\n', note='only the number scenario renders an unquoted port')
# toYaml: a generated key maps to the line with the include
tpl='apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\n  labels:\n    {{- toYaml .Values.labels | nindent 4 }}\ndata: {}\n'
case('source-line-generated', {'templates/cm.yaml': tpl}, [('schema-wrong-type','templates/cm.yaml',5)], values='labels:\n  a: b\n  tier: 3\n',
     note='a key generated by toYaml maps to its nearest literal parent')
