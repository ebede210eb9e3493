# Sourced by the load scripts (webhook, service, format): an nginx stand-in on 127.0.0.1 that
# answers as a webhook receiver (/hook), Slack (/services/), Telegram's Bot
# API (/bot...), DingTalk (/robot/send) and SNS (/sns/, XML). Needs $work; sets $port; the caller's trap stops nginx.
port=$(/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
mkdir -p "$work/logs"
cat >"$work/nginx.conf" <<CONF
worker_processes 1;
pid $work/nginx.pid;
error_log $work/logs/error.log;
events { worker_connections 1024; }
http {
  access_log off;
  keepalive_requests 1000000;
  client_max_body_size 0;  # attachment_load.sh posts files
  client_body_temp_path $work/body;
  server {
    listen 127.0.0.1:$port;
    location /hook { return 204; }
    location /services/ { default_type text/html; return 200 "ok"; }
    location /bot { default_type application/json; return 200 '{"ok":true,"result":{"message_id":1}}'; }
    location /robot/send { default_type application/json; return 200 '{"errcode":0,"errmsg":"ok"}'; }
    location /sns/ { default_type text/xml; return 200 '<PublishResponse><PublishResult><MessageId>m</MessageId></PublishResult></PublishResponse>'; }
  }
}
CONF
nginx -p "$work" -c "$work/nginx.conf"
for _ in $(seq 100); do (echo >/dev/tcp/127.0.0.1/$port) 2>/dev/null && break; sleep 0.05; done

