# The learner's lab image. LAB_KIND=cpu (default) or gpu (adds PyTorch with CUDA; the NVIDIA
# driver comes from the host through the container toolkit). jupyterhub is pinned to the
# hub's major version. Build: docker compose -f deploy/docker/compose.yaml --profile images build
FROM python:3.11-slim
ARG LAB_KIND=cpu
RUN apt-get update && apt-get install -y --no-install-recommends git tini \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --create-home --uid 1000 jovyan
RUN pip install --no-cache-dir jupyterhub==6.1.1 jupyterlab==4.6.6 nbgitpuller==1.3.0 \
        ipykernel==7.4.0 numpy==2.4.6 pandas==3.1.1 scikit-learn matplotlib \
    && if [ "$LAB_KIND" = "gpu" ]; then pip install --no-cache-dir torch torchvision; fi
USER jovyan
WORKDIR /home/jovyan/work
ENTRYPOINT ["tini", "--"]
CMD ["jupyterhub-singleuser"]
