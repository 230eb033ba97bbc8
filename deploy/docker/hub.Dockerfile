# JupyterHub with DockerSpawner and the portal login. The deploy/ folder is copied so the
# hub configuration imports deploy/profiles.py (profiles defined once).
FROM python:3.11-slim
RUN apt-get update && apt-get install -y --no-install-recommends nodejs npm \
    && npm install -g configurable-http-proxy@5.3.0 && rm -rf /var/lib/apt/lists/*
RUN pip install --no-cache-dir jupyterhub==6.1.1 oauthenticator==17.4.0 \
        dockerspawner==14.0.0 jupyterhub-idle-culler==2.0.0
COPY deploy /srv/app/deploy
WORKDIR /srv/jupyterhub
EXPOSE 8000
