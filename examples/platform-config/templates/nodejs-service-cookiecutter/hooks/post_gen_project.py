# Runs after the project is generated (cookiecutter always; sluice scaffold
# only with --allow-hooks). It only prints the next steps.
print("Created {{ cookiecutter.service_name }}: cd {{ cookiecutter.service_name }} && git init -b main")
