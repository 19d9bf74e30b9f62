#!/bin/sh
# Example on_record_hook_script: Spool runs it after every finished recording file with
#   $1 = stream name, $2 = absolute path of the file.
# This one copies the file into $RECORD_COPY_DIR (default ./records-copy) and prints a line
# that Spool logs. Arguments arrive as argv, never through a shell, so quote them as below.
set -eu
stream_name=$1
file_path=$2
target_dir=${RECORD_COPY_DIR:-./records-copy}
mkdir -p "$target_dir"
cp -- "$file_path" "$target_dir/"
echo "copied recording of stream '$stream_name' to $target_dir/$(basename -- "$file_path")"
