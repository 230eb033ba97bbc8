# The portal (gunicorn) and the grading workers share this image.
FROM python:3.11-slim
RUN apt-get update && apt-get install -y --no-install-recommends bubblewrap \
    && rm -rf /var/lib/apt/lists/* && useradd --create-home lms
WORKDIR /srv/lms
COPY requirements.txt .
RUN pip install --no-cache-dir -r requirements.txt
COPY lms lms
COPY autograder autograder
COPY deploy deploy
COPY courses courses
USER lms
EXPOSE 5000
